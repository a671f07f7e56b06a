"""Code built at run time: ``exec``/``eval``/``compile``, ``marshal``, computed imports.

Hiding a cheat in a string defeats every static rule, so a candidate that runs dynamic code gets a
soft finding, and literal strings passed to ``exec``/``eval``/``compile`` are parsed and scanned like
the rest of the file (see `embedded_sources`; `scan` does the recursion).
"""

from __future__ import annotations

import ast

from kernelwright.guard.aliases import const_str, words
from kernelwright.guard.context import Context
from kernelwright.guard.rules._base import RefTable, info, report_references

DYNAMIC_CODE = info(
    "KW-S014",
    "dynamic-code",
    "soft",
    "sandbox",
    "runs code built at run time (exec, eval, compile, marshal/pickle loads, computed imports)",
)

EXEC_QUALS = frozenset({"builtins.exec", "builtins.eval", "builtins.compile"})
IMPORT_QUALS = frozenset({"builtins.__import__", "importlib.import_module"})
DYNAMIC_TABLE: RefTable = [
    (
        words(
            "builtins.exec builtins.eval builtins.compile marshal.loads types.CodeType "
            "types.FunctionType pickle.loads dill cloudpickle"
        ),
        "code assembled at run time hides what the candidate does from review; the runtime's audit hooks "
        "still apply. Write the code out directly.",
    )
]


def check_dynamic_code(ctx: Context) -> None:
    """exec/eval/compile/marshal/pickle loads, and ``__import__``/``import_module`` of a computed name."""
    report_references(ctx, DYNAMIC_CODE, DYNAMIC_TABLE)
    for node in ctx.walk():
        if (
            isinstance(node, ast.Call)
            and ctx.resolve(node.func) in IMPORT_QUALS
            and (not node.args or const_str(node.args[0]) is None)
        ):
            ctx.report(
                DYNAMIC_CODE,
                node,
                "imports a module whose name is computed at run time: static checks cannot see what it "
                "loads. Import modules by their literal names.",
            )


def embedded_sources(ctx: Context) -> list[tuple[ast.Call, str]]:
    """(call, source) for each exec/eval/compile of a string that folds to a constant."""
    out: list[tuple[ast.Call, str]] = []
    for node in ctx.walk():
        if isinstance(node, ast.Call) and ctx.resolve(node.func) in EXEC_QUALS and node.args:
            text = const_str(node.args[0])
            if text:
                out.append((node, text))
    return out


RULES = [DYNAMIC_CODE]
CHECKS = [check_dynamic_code]
