"""Reference passthrough: answering with PyTorch (or the reference ``Model``) instead of the kernel.

Cheat 7 (THREATS.md) wraps the launch in ``try: kernel() except: torch_op()``: whenever the kernel
fails (or is made to fail) the judge times PyTorch. Cheat 6 calls the reference directly. The
runtime ablation is the real test of 6; the static rules name the clumsy versions.
"""

from __future__ import annotations

import ast

from kernelwright.guard.aliases import imported_names, words
from kernelwright.guard.context import Context
from kernelwright.guard.rules._base import info

TRY_FALLBACK = info(
    "KW-S050",
    "try-except-fallback",
    "hard",
    "reference-passthrough",
    "a try around a kernel launch whose except path computes with PyTorch or the reference",
)
REFERENCE_MODEL = info(
    "KW-S051",
    "reference-model",
    "soft",
    "reference-passthrough",
    "instantiates or calls the reference Model (Model(...), super().forward, Model.forward)",
)
REFERENCE_IMPORT = info(
    "KW-S052",
    "reference-import",
    "soft",
    "reference-passthrough",
    "imports the problem/reference module, its Model, or the judge's own package",
)

_FALLBACK_WHY = (
    "a fallback path that ever runs is reference passthrough, since the judge would check and time "
    "PyTorch instead of your kernel. Let launch errors propagate and fix the kernel."
)
_IMPORT_WHY = (
    "the candidate should not load the reference problem or the judge; reference passthrough is checked "
    "by ablation at run time. Write the computation yourself."
)
REFERENCE_MODULES = frozenset(words("reference ref problem problems baseline kernelwright"))
REFERENCE_NAMES = frozenset({"Model", "get_inputs", "get_init_inputs", "get_fuzz_inputs"})
MODULE_BASES = frozenset({"torch.nn.Module", "torch.nn.modules.module.Module"})


def _always_raises(ctx: Context, body: list[ast.stmt]) -> bool:
    if not body or not isinstance(body[-1], ast.Raise):
        return False
    return not any(isinstance(n, ast.Return) for n in ctx.body_nodes(body))


def _later_siblings(ctx: Context, node: ast.stmt) -> list[ast.stmt]:
    parent = ctx.parent(node)
    for field in ("body", "orelse", "finalbody"):
        block = getattr(parent, field, None)
        if isinstance(block, list) and node in block:
            return block[block.index(node) + 1 :]
    return []


def _assigned_names(ctx: Context, stmts: list[ast.stmt]) -> set[str]:
    names = set()
    for n in ctx.body_nodes(stmts):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            names.add(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store):
            names.add(ast.unparse(n))
    return names


def _mentioned(test: ast.expr) -> set[str]:
    out = set()
    for n in ast.walk(test):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute):
            out.add(ast.unparse(n))
    return out


def _exits(ctx: Context, body: list[ast.stmt]) -> bool:
    return any(isinstance(n, ast.Return | ast.Raise) for n in ctx.body_nodes(body))


def _fallback_after(
    ctx: Context, block: ast.stmt, guarded: list[ast.stmt], swallow: list[ast.stmt]
) -> ast.AST | None:
    """Torch compute after a block that swallowed the launch error.

    ``try: return k[g](x)`` / ``except: pass`` / ``return torch.mm(a, b)``: when the guarded body
    returns and the error is swallowed, whatever follows is the fallback. Otherwise only an ``if``
    testing a name set in the block (``out is None``, ``ok``) is.
    """
    facts = ctx.facts
    flags = _assigned_names(ctx, guarded) | _assigned_names(ctx, swallow)
    falls_through = any(isinstance(n, ast.Return) for n in ctx.body_nodes(guarded)) and not _exits(
        ctx, swallow
    )
    for sibling in _later_siblings(ctx, block):
        if falls_through:
            compute = facts.first_compute([sibling])
            if compute is not None:
                return compute
        for sub in ctx.body_nodes([sibling]):
            if isinstance(sub, ast.If) and flags & _mentioned(sub.test):
                compute = facts.first_compute(sub.body + sub.orelse)
                if compute is not None:
                    return compute
    return None


def _report_fallback(ctx: Context, anchor: ast.AST, launch: ast.Call, compute: ast.AST, how: str) -> None:
    what = f"{ast.unparse(compute)[:60]!r} (line {getattr(compute, 'lineno', '?')})"
    ctx.report(
        TRY_FALLBACK,
        anchor,
        f"when the kernel launch at line {launch.lineno} fails, {how} falls back to {what}: {_FALLBACK_WHY}",
    )


def check_try_fallback(ctx: Context) -> None:
    """A ``try`` (or ``with contextlib.suppress``) around a custom kernel launch whose error path computes
    with torch or the reference instead.

    A handler that re-raises, logs and re-raises, or a try around an import, is fine.
    """
    facts = ctx.facts
    for node in ctx.walk():
        if isinstance(node, ast.Try | ast.TryStar):
            launches = facts.launches_in(node.body)
            if not launches:
                continue
            for handler in node.handlers:
                if _always_raises(ctx, handler.body):
                    continue
                compute = facts.first_compute(handler.body) or _fallback_after(
                    ctx, node, node.body, handler.body
                )
                if compute is not None:
                    _report_fallback(ctx, handler, launches[0], compute, "this handler")
        elif isinstance(node, ast.With) and any(_is_suppress(ctx, item.context_expr) for item in node.items):
            launches = facts.launches_in(node.body)
            compute = _fallback_after(ctx, node, node.body, []) if launches else None
            if compute is not None:
                _report_fallback(ctx, node, launches[0], compute, "the code after contextlib.suppress")


def _is_suppress(ctx: Context, expr: ast.expr) -> bool:
    return isinstance(expr, ast.Call) and ctx.resolve(expr.func) == "contextlib.suppress"


def _is_model_ref(ctx: Context, node: ast.AST) -> bool:
    qual = ctx.resolve(node)
    if qual is not None:
        return qual == "Model" or qual.endswith(".Model")
    return isinstance(node, ast.Name) and node.id == "Model"


def check_reference_model(ctx: Context) -> None:
    """``Model(...)``, ``Model.forward(...)``, ``super().forward(...)`` in a ModelNew that extends Model."""
    why = (
        "running the reference inside the candidate is reference passthrough if its output reaches the "
        "result; the judge's ablation run decides. Compute the answer with your own kernels."
    )
    for node in ctx.walk():
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                if _is_model_ref(ctx, base):
                    ctx.report(REFERENCE_MODEL, node, f"class {node.name} extends the reference Model: {why}")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if _is_model_ref(ctx, func):
            ctx.report(REFERENCE_MODEL, node, f"instantiates the reference Model: {why}")
        elif isinstance(func, ast.Attribute) and func.attr == "forward":
            if _is_model_ref(ctx, func.value):
                ctx.report(REFERENCE_MODEL, node, f"calls Model.forward: {why}")
            elif (
                isinstance(func.value, ast.Call)
                and isinstance(func.value.func, ast.Name)
                and func.value.func.id == "super"
            ):
                cls = ctx.enclosing_class(node)
                bases = [ctx.resolve(b) for b in cls.bases] if cls else []
                if any(b not in MODULE_BASES for b in bases):
                    ctx.report(REFERENCE_MODEL, node, f"calls super().forward of a non-nn.Module base: {why}")


def check_reference_import(ctx: Context) -> None:
    """Imports of the problem/reference module, of ``Model``/``get_inputs``, or of kernelwright itself."""
    for node in ctx.walk():
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for _, qual in imported_names(node):
            parts = [p for p in qual.split(".") if p]
            module_parts = parts if isinstance(node, ast.Import) else parts[:-1]
            if any(p in REFERENCE_MODULES for p in module_parts[:2]) or parts[-1] in REFERENCE_NAMES:
                ctx.report(REFERENCE_IMPORT, node, f"imports {qual}: {_IMPORT_WHY}")


RULES = [TRY_FALLBACK, REFERENCE_MODEL, REFERENCE_IMPORT]
CHECKS = [check_try_fallback, check_reference_model, check_reference_import]
