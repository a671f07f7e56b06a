"""The `kernelwright` command line: `app.py` builds the app, each command group has its module.

- `verify`  verify, guard          - `suite`   suite list, suite run
- `demo`    the README demo        - `agent`   optimize, optimize-suite
- `store`   kb, verdict, export    - `report`  report
- `integrations` mcp, init-task    - `common`  the error exit, config, store, judge-then-record
- `render`  tables and console
"""

from __future__ import annotations

from kernelwright.cli.app import app, main

__all__ = ["app", "main"]
