"""`python -m kernelwright` runs the CLI."""

from __future__ import annotations

from kernelwright.cli import main

main()
