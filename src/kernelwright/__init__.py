"""kernelwright: a judge, agent loop and knowledge base for AI-written GPU kernels."""

from __future__ import annotations

__version__ = "0.1.0"
