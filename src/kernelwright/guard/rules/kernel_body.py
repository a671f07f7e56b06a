"""Python in a kernel's body: code that runs only under the CPU interpreter.

Under TRITON_INTERPRET=1 a `@triton.jit` body is executed as Python, so it can call any Python
function, NumPy included, on the true bytes while the seal is open (worker/seal.py; red team:
cheat_rt_seal_kernel_body_python called a plain helper that did the relu in NumPy). On a GPU the same
body does not compile: Triton's frontend accepts calls to `triton.language`, other jit functions,
constexpr callables and a few builtins only (probed with triton 3.9's `make_ir` for a CUDA target: a
call to a plain helper is a CompilationError). So such a call is a compile error here too, before any
worker starts.
"""

from __future__ import annotations

import ast

from kernelwright.guard.context import Context
from kernelwright.guard.rules._base import info

KERNEL_PYTHON = info(
    "KW-S091",
    "kernel-python",
    "hard",
    "compile-error",
    "a @triton.jit body calls Python that is not Triton (a plain function, NumPy, torch): it runs only "
    "under the CPU interpreter",
)

# Builtins Triton's frontend evaluates or supports inside a kernel.
_BUILTINS = frozenset(
    {"range", "min", "max", "len", "int", "float", "bool", "print", "isinstance", "tuple", "enumerate", "zip"}
)
_WHY = (
    "a kernel body may call only triton.language, other @triton.jit functions, constexpr callables and "
    "a few builtins; anything else runs only under the CPU interpreter and does not compile for a GPU"
)


# A value's host-side innards under the interpreter (`x.handle.data` is a NumPy array); no Triton
# kernel reads them.
_INTERPRETER_ATTRS = frozenset({"handle", "data", "__dict__", "__class__"})


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    a = fn.args
    return {p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)} | {
        p.arg for p in (a.vararg, a.kwarg) if p is not None
    }


def _locals(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


# Attributes a chain may pass through on the way to a method of a kernel value (`x_ptr.dtype.element_ty`).
_VALUE_ATTRS = frozenset({"dtype", "element_ty", "T", "shape", "type", "scalar", "primitive_bitwidth"})


def _chain(node: ast.expr) -> tuple[ast.expr, list[str]]:
    """The chain's root and its attribute names, outermost last."""
    attrs: list[str] = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    return node, attrs[::-1]


def _why_not(ctx: Context, call: ast.Call, jit: set[str], local: set[str]) -> str | None:
    """None when the call is one Triton compiles; else what it calls."""
    func = call.func
    qual = ctx.resolve(func)
    if qual is not None and (qual == "triton" or qual.startswith("triton.")):
        return None
    if isinstance(func, ast.Name):
        name = func.id
        if name in jit or name in _BUILTINS or name in local:
            return None  # another kernel, a builtin, a constexpr callable or a local
        return f"calls {qual or name}"
    if isinstance(func, ast.Attribute):
        root, attrs = _chain(func)
        inner = attrs[:-1]
        plain = all(a in _VALUE_ATTRS for a in inner) and not attrs[-1].startswith("__")
        if isinstance(root, ast.Name) and root.id not in local:
            return f"calls {qual or ast.unparse(func)}"  # a module's function (numpy, torch, math)
        if plain:
            return None  # a method of a value in the kernel (x.to, tl.load(...).to, x_ptr.dtype.element_ty)
        return f"calls {ast.unparse(func)[:60]}"  # e.g. x.handle.data.clip: the interpreter's arrays
    return f"calls {ast.unparse(func)[:60]}"


def check_kernel_python(ctx: Context) -> None:
    facts = ctx.facts
    jit = set(facts.jit_kernels)
    for name in sorted(jit):
        for fn in facts.functions.get(name, []):
            local = _params(fn) | _locals(fn)
            # The body only: decorators (autotune configs, heuristics lambdas) run on the host.
            for node in (n for stmt in fn.body for n in ast.walk(stmt)):
                why = None
                if isinstance(node, ast.Call):
                    why = _why_not(ctx, node, jit, local)
                elif isinstance(node, ast.Global | ast.Nonlocal):
                    why = (
                        f"declares {', '.join(node.names)} {type(node).__name__.lower()}"  # leaks values out
                    )
                elif isinstance(node, ast.Attribute) and node.attr in _INTERPRETER_ATTRS:
                    why = f"reads .{node.attr}"  # the interpreter's arrays behind a value
                elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Name | ast.Attribute):
                    qual = ctx.resolve(node.value)
                    if qual is not None and not (qual == "triton" or qual.startswith("triton.")):
                        why = f"aliases {qual}"  # `lib = np` would pass its calls off as a value's methods
                if why:
                    ctx.report(KERNEL_PYTHON, node, f"kernel {name} {why}: {_WHY}")


RULES = [KERNEL_PYTHON]
CHECKS = [check_kernel_python]
