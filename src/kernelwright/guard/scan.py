"""Entry point of the static guard: parse once, run every rule family, dedupe, sort.

`scan` never raises on candidate input: a file that does not parse yields one ``KW-S000`` finding,
and a rule that crashes on odd input yields a soft ``KW-S999`` finding instead of taking the judge down.
"""

from __future__ import annotations

import ast

from kernelwright.guard.context import Context
from kernelwright.guard.findings import Finding, RuleInfo
from kernelwright.guard.rules import ALL_CHECKS, ALL_RULES
from kernelwright.guard.rules._base import info
from kernelwright.guard.rules.dynamic import embedded_sources

SYNTAX_ERROR = info(
    "KW-S000", "syntax-error", "hard", "compile-error", "the candidate does not parse as Python"
)
GUARD_ERROR = info("KW-S999", "guard-error", "soft", None, "a guard rule failed on this file (a guard bug)")

RULES: list[RuleInfo] = sorted([SYNTAX_ERROR, *ALL_RULES, GUARD_ERROR], key=lambda r: r.code)

MAX_EXEC_DEPTH = 3  # exec("exec('...')") nesting the guard follows


def scan(source: str, filename: str = "<candidate>") -> list[Finding]:
    """Statically check one candidate file; findings sorted by line, column and code."""
    try:
        tree = ast.parse(source, filename=filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return [_syntax_finding(source, exc)]
    findings = _run(Context(source, tree, filename), depth=0)
    unique: dict[tuple[str, int], Finding] = {}
    for f in findings:
        unique.setdefault((f.code, f.line), f)
    return sorted(unique.values(), key=lambda f: (f.line, f.col, f.code))


def _syntax_finding(source: str, exc: BaseException) -> Finding:
    line = getattr(exc, "lineno", None) or 1
    col = getattr(exc, "offset", None) or 1
    text = getattr(exc, "text", None)
    lines = source.splitlines()
    snippet = (text or (lines[line - 1] if 0 < line <= len(lines) else "")).strip()
    detail = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
    return Finding(
        code=SYNTAX_ERROR.code,
        rule=SYNTAX_ERROR.rule,
        severity=SYNTAX_ERROR.severity,
        category=SYNTAX_ERROR.category,
        message=f"the candidate does not parse: {detail} (line {line}). Fix the syntax; "
        "nothing else was checked.",
        line=line,
        col=col,
        snippet=snippet,
    )


def _run(ctx: Context, depth: int) -> list[Finding]:
    for check in ALL_CHECKS:
        try:
            check(ctx)
        except Exception as exc:  # a guard bug must not crash the judge
            ctx.report(
                GUARD_ERROR, ctx.tree, f"guard rule {check.__name__} failed: {type(exc).__name__}: {exc}"
            )
    findings = list(ctx.findings)
    if depth >= MAX_EXEC_DEPTH:
        return findings
    for call, text in embedded_sources(ctx):
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        name = ast.unparse(call.func)
        for inner in _run(Context(text, tree, ctx.filename, parent=ctx), depth + 1):
            findings.append(
                inner.model_copy(
                    update={
                        "line": call.lineno,
                        "col": call.col_offset + 1,
                        "snippet": ctx.snippet(call.lineno),
                        "message": f"in the code run by {name}(): {inner.message}",
                    }
                )
            )
    return findings
