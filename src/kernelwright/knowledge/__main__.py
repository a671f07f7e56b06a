"""``python -m kernelwright.knowledge trace PROBLEM [PROBLEM ...]``: one JSON line per problem.

Each line is ``{"path", "ops", "family", "families", "mode"}`` or ``{"path", "error"}``. Meant to run
as a throwaway subprocess (it executes the problem files); see :mod:`kernelwright.knowledge.trace`.
"""

from __future__ import annotations

import sys

from kernelwright.knowledge.trace import child_main


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2 or args[0] != "trace":
        sys.stderr.write("usage: python -m kernelwright.knowledge trace PROBLEM [PROBLEM ...]\n")
        return 2
    return child_main(args[1:])


if __name__ == "__main__":
    sys.exit(main())
