"""Lazy tensor subclasses: outputs that compute (or lie) when they are compared.

Cheat 12 (THREATS.md) returns a ``torch.Tensor`` subclass, or a tensor under a
``__torch_function__`` / ``__torch_dispatch__`` mode, whose comparison ops answer "equal" or compute
the reference on demand. A kernel's output is a plain dense tensor; nothing here is needed.
"""

from __future__ import annotations

import ast

from kernelwright.guard.aliases import matches_any, words
from kernelwright.guard.context import Context
from kernelwright.guard.rules._base import RefTable, info, report_references

TENSOR_SUBCLASS = info(
    "KW-S060",
    "tensor-subclass",
    "hard",
    "tampering",
    "defines or builds a torch.Tensor subclass, __torch_function__/__torch_dispatch__, or a dispatch mode",
)

TENSOR_BASES = words(
    "torch.Tensor torch.nn.Parameter torch.nn.parameter.Parameter torch._C.TensorBase "
    "torch._C._TensorBase torch.overrides.TorchFunctionMode torch.utils._python_dispatch "
    "torch._subclasses"
)
HOOK_METHODS = frozenset({"__torch_function__", "__torch_dispatch__"})
_WHY = (
    "the judge needs a plain dense torch.Tensor; a subclass or dispatch hook can make comparisons lie or "
    "compute the answer lazily, which is tampering. Return the tensor your kernel wrote."
)
SUBCLASS_TABLE: RefTable = [
    (
        words(
            "torch.Tensor._make_subclass torch.Tensor._make_wrapper_subclass "
            "torch.utils._python_dispatch torch._subclasses torch.overrides.TorchFunctionMode "
            "torch._C._disabled_torch_function_impl torch._C.DisableTorchFunction "
            "torch._C._set_torch_function_mode"
        ),
        _WHY,
    )
]


def _tensor_classes(ctx: Context) -> dict[str, ast.ClassDef]:
    """Classes deriving (directly or through local classes) from a tensor base or dispatch mode."""
    classes = {n.name: n for n in ctx.walk() if isinstance(n, ast.ClassDef)}
    found: dict[str, ast.ClassDef] = {}
    changed = True
    while changed:
        changed = False
        for name, cls in classes.items():
            if name in found:
                continue
            for base in cls.bases:
                qual = ctx.resolve(base)
                local = base.id if isinstance(base, ast.Name) else None
                if (qual and matches_any(qual, TENSOR_BASES)) or (local in found):
                    found[name] = cls
                    changed = True
                    break
    return found


def check_tensor_subclass(ctx: Context) -> None:
    """Tensor subclasses, torch function/dispatch hooks and modes, ``_make_subclass``, ``as_subclass``."""
    for name, cls in _tensor_classes(ctx).items():
        ctx.report(TENSOR_SUBCLASS, cls, f"class {name} subclasses a tensor type or dispatch mode: {_WHY}")
    for node in ctx.walk():
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in HOOK_METHODS:
            ctx.report(TENSOR_SUBCLASS, node, f"defines {node.name}: {_WHY}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            if attr in ("_make_subclass", "_make_wrapper_subclass"):
                ctx.report(TENSOR_SUBCLASS, node, f"calls {attr}: {_WHY}")
            elif attr == "as_subclass" and not (node.args and ctx.resolve(node.args[0]) == "torch.Tensor"):
                ctx.report(TENSOR_SUBCLASS, node, f"re-types a tensor with as_subclass: {_WHY}")
    report_references(ctx, TENSOR_SUBCLASS, SUBCLASS_TABLE)


RULES = [TENSOR_SUBCLASS]
CHECKS = [check_tensor_subclass]
