"""Facts several rules share: where the candidate launches custom kernels, and where it computes
with PyTorch instead.

A *launch* is ``kernel[grid](...)`` (Triton's launch syntax, also a cached compiled kernel
``self._kernels[key](...)``), a call of a function of a ``load_inline`` module (``ext.fn(...)``,
``_ext().fn(...)``), a custom ``torch.ops.<ns>.<fn>`` op, or a call of a helper that launches.
*Torch compute* is a ``torch.*`` / ``F.*`` op that is not an allocation or a setting, a tensor math
method (``x.matmul``), ``@``, a call of an ``nn`` submodule, of the reference ``Model`` or of
``super().forward``, or of a helper that only computes with torch.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

from kernelwright.guard.aliases import words
from kernelwright.guard.context import Context, FunctionNode

LOAD_INLINE = frozenset({"torch.utils.cpp_extension.load_inline", "torch.utils.cpp_extension.load"})
JIT_DECORATORS = ("triton.jit", "triton.autotune", "triton.heuristics", "triton.language.jit")

# torch.* callables that allocate, describe or configure, rather than compute the answer.
TORCH_NON_COMPUTE_PREFIXES = words(
    "torch.cuda torch.backends torch.utils torch._dynamo torch._inductor torch.library torch.version "
    "torch.testing torch.compiler torch.nn.Parameter torch.nn.parameter torch.nn.init"
)
TORCH_NON_COMPUTE_FUNCS = frozenset(
    words(
        "empty empty_like empty_strided zeros zeros_like ones ones_like full full_like tensor as_tensor "
        "from_numpy device dtype finfo iinfo is_tensor is_floating_point is_complex numel "
        "get_default_dtype set_default_dtype manual_seed Size Generator no_grad inference_mode "
        "enable_grad set_grad_enabled is_grad_enabled arange set_float32_matmul_precision "
        "get_float32_matmul_precision promote_types result_type can_cast"
    )
)
TENSOR_COMPUTE_METHODS = frozenset(
    words(
        "matmul mm bmm addmm baddbmm mv dot sum mean softmax log_softmax relu relu_ gelu silu sigmoid "
        "tanh exp log add add_ sub mul mul_ div pow sqrt rsqrt max min amax amin argmax argmin cumsum "
        "prod norm var std clamp clamp_ clip abs neg masked_fill logsumexp erf conv2d linear layer_norm "
        "type_as addcmul outer einsum sort topk"
    )
)
NOT_MODULE_CTORS = frozenset(words("Parameter ParameterList ParameterDict Buffer Module ModuleDict"))


class Facts:
    """Computed once per file, on first use (`Context.facts`)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.functions: dict[str, list[FunctionNode]] = {}
        self.jit_kernels: set[str] = set()
        self.ext_targets: set[str] = set()
        self.ext_getters: set[str] = set()
        self.nn_module_attrs: set[str] = set()  # self.x = nn.Linear(...) / Model(...): calling computes
        self.launchers: set[str] = set()
        self.torch_helpers: set[str] = set()
        self._index()
        self.launchers = self._fixpoint(self._has_direct_launch)
        self.torch_helpers = self._fixpoint(self._has_direct_compute, exclude=self.launchers)

    # -- indexing -------------------------------------------------------------------------------
    def _index(self) -> None:
        ctx = self.ctx
        for node in ctx.walk():
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions.setdefault(node.name, []).append(node)
                if any(self._is_jit_decorator(d) for d in node.decorator_list):
                    self.jit_kernels.add(node.name)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                callee = ctx.resolve(node.value.func)
                if self._is_jit_decorator(node.value.func) or self._is_jit_decorator(node.value):
                    # `kernel = triton.jit(body)` (or `triton.jit(...)(body)`): `body` is a kernel too,
                    # and KW-S091 reads it (red team, third round: cheat_rt_seal3_jit_call_helper)
                    for arg in node.value.args[:1]:
                        if isinstance(arg, ast.Name):
                            self.jit_kernels.add(arg.id)
                    self.jit_kernels.update(t.id for t in node.targets if isinstance(t, ast.Name))
                if self.is_load_inline(node.value):
                    self.ext_targets.update(ast.unparse(t) for t in node.targets)
                elif _is_module_ctor(callee) or _is_model_ctor(node.value):
                    for t in node.targets:
                        if (
                            isinstance(t, ast.Attribute)
                            and isinstance(t.value, ast.Name)
                            and t.value.id == "self"
                        ):
                            self.nn_module_attrs.add(t.attr)
        # `self.ext = ext` after `ext = load_inline(...)`: the copy is an extension module too.
        for _ in range(2):
            for node in ctx.walk():
                if isinstance(node, ast.Assign) and ast.unparse(node.value) in self.ext_targets:
                    self.ext_targets.update(ast.unparse(t) for t in node.targets)
        # `def _ext(): return load_inline(...)` (often lru_cached): `_ext().fn(x)` is a launch.
        for name, defs in self.functions.items():
            returns = [n.value for fn in defs for n in ctx.body_nodes(fn.body) if isinstance(n, ast.Return)]
            if any(v is not None and self._is_extension(v) for v in returns):
                self.ext_getters.add(name)

    def _is_extension(self, expr: ast.expr) -> bool:
        return (isinstance(expr, ast.Call) and self.is_load_inline(expr)) or ast.unparse(
            expr
        ) in self.ext_targets

    def _is_jit_decorator(self, dec: ast.expr) -> bool:
        target = dec.func if isinstance(dec, ast.Call) else dec
        qual = self.ctx.resolve(target)
        return qual is not None and qual in JIT_DECORATORS

    def is_load_inline(self, call: ast.Call) -> bool:
        qual = self.ctx.resolve(call.func)
        if qual is not None:
            return qual in LOAD_INLINE
        return isinstance(call.func, ast.Attribute | ast.Name) and _last_name(call.func) == "load_inline"

    def _fixpoint(
        self, direct: Callable[[FunctionNode, set[str]], bool], exclude: set[str] | None = None
    ) -> set[str]:
        found: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name, defs in self.functions.items():
                if name in found or name in self.jit_kernels or (exclude and name in exclude):
                    continue
                if any(direct(fn, found) for fn in defs):
                    found.add(name)
                    changed = True
        return found

    def _has_direct_launch(self, fn: FunctionNode, helpers: set[str]) -> bool:
        for node in self.ctx.body_nodes(fn.body):
            if isinstance(node, ast.Call) and (self.is_direct_launch(node) or callee_name(node) in helpers):
                return True
        return False

    def _has_direct_compute(self, fn: FunctionNode, helpers: set[str]) -> bool:
        for node in self.ctx.body_nodes(fn.body):
            if isinstance(node, ast.Call) and self.is_direct_launch(node):
                return False
        return any(
            self.is_compute(node) or (isinstance(node, ast.Call) and callee_name(node) in helpers)
            for node in self.ctx.body_nodes(fn.body)
        )

    # -- launches -------------------------------------------------------------------------------
    def is_direct_launch(self, call: ast.Call) -> bool:
        func = call.func
        if isinstance(func, ast.Subscript):
            return True
        if isinstance(func, ast.Attribute):
            if ast.unparse(func.value) in self.ext_targets:
                return True
            if isinstance(func.value, ast.Call) and callee_name(func.value) in self.ext_getters:
                return True
            if isinstance(func.value, ast.Name) and func.value.id in self.jit_kernels and func.attr == "run":
                return True
            qual = self.ctx.resolve(func)
            if qual and qual.startswith("torch.ops.") and qual.split(".")[2] not in ("aten", "prims"):
                return True
        return False

    def is_launch(self, call: ast.Call) -> bool:
        return self.is_direct_launch(call) or callee_name(call) in self.launchers

    def launches_in(self, stmts: list[ast.stmt]) -> list[ast.Call]:
        return [n for n in self.ctx.body_nodes(stmts) if isinstance(n, ast.Call) and self.is_launch(n)]

    # -- torch compute --------------------------------------------------------------------------
    def is_compute(self, node: ast.AST) -> bool:
        """True for one node that computes with PyTorch (or the reference) rather than a kernel."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            return True
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        qual = self.ctx.resolve(func)
        if qual is not None:
            return _torch_compute_qual(qual) or qual.endswith(".Model")
        if isinstance(func, ast.Name):
            return func.id in ("Model",) or func.id in self.torch_helpers
        if isinstance(func, ast.Attribute):
            if func.attr == "forward" and _is_super_call(func.value):
                return True
            if isinstance(func.value, ast.Name) and func.value.id == "self":
                return func.attr in self.nn_module_attrs or func.attr in self.torch_helpers
            if func.attr in TENSOR_COMPUTE_METHODS and self.ctx.resolve(func.value) is None:
                return True
        return False

    def first_compute(self, stmts: Iterable[ast.stmt]) -> ast.AST | None:
        for node in self.ctx.body_nodes(list(stmts)):
            if self.is_compute(node):
                return node
        return None


def _is_model_ctor(call: ast.Call) -> bool:
    """``Model(...)`` / ``reference.Model(...)``: an instance of the reference, which computes when called."""
    func = call.func
    return (isinstance(func, ast.Name) and func.id == "Model") or (
        isinstance(func, ast.Attribute) and func.attr == "Model"
    )


def _is_module_ctor(callee: str | None) -> bool:
    """``torch.nn.Linear`` and friends (modules that compute when called), not Parameter/functional."""
    if not callee or not callee.startswith("torch.nn.") or callee.startswith("torch.nn.functional"):
        return False
    return callee.rsplit(".", 1)[-1] not in NOT_MODULE_CTORS


def _torch_compute_qual(qual: str) -> bool:
    if not qual.startswith("torch."):
        return False
    if qual.startswith("torch.ops."):
        parts = qual.split(".")
        return len(parts) > 2 and parts[2] in ("aten", "prims")
    if qual.startswith(TORCH_NON_COMPUTE_PREFIXES):
        return False
    parts = qual.split(".")
    return not (len(parts) == 2 and parts[1] in TORCH_NON_COMPUTE_FUNCS)


def _is_super_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def _last_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def callee_name(call: ast.Call) -> str | None:
    """``f(...)`` -> f; ``self.f(...)`` / ``cls.f(...)`` / ``ModelNew.f(...)`` -> f; else None.

    Calls on other objects (``torch.mm``, ``ext.fn``) are not helper calls.
    """
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        owner = func.value.id
        return func.attr if owner in ("self", "cls") or owner[:1].isupper() else None
    return None
