"""Shared plumbing for rule modules: a `RuleInfo` shorthand and table-driven reference matching."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Literal

from kernelwright.guard.aliases import matches_any
from kernelwright.guard.context import Context
from kernelwright.guard.findings import RuleInfo

Check = Callable[[Context], None]


def info(
    code: str, rule: str, severity: Literal["hard", "soft"], category: str | None, description: str
) -> RuleInfo:
    """One row of the rules table (positional shorthand for `RuleInfo`)."""
    return RuleInfo(code=code, rule=rule, severity=severity, category=category, description=description)


# (patterns, why it matters) rows: the message is "uses <qual>: <why>".
RefTable = list[tuple[tuple[str, ...], str]]


def report_references(ctx: Context, rule: RuleInfo, table: RefTable) -> None:
    """Report every import or use of a qualified name matching a row of `table`."""
    for node, qual in ctx.references():
        for patterns, why in table:
            if matches_any(qual, patterns):
                verb = "imports" if isinstance(node, ast.Import | ast.ImportFrom) else "uses"
                ctx.report(rule, node, f"{verb} {qual}: {why}")
                break
