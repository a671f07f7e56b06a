"""Phase detection: behaving one way while checked and another while timed.

Cheat 5 (THREATS.md) counts calls (``self.calls += 1``) and, after the first few (the correctness
checks), switches to a cheap wrong path or a cached answer. A counter alone is harmless; a counter
that feeds a branch deciding what is computed or returned is the cheat.
"""

from __future__ import annotations

import ast

from kernelwright.guard.aliases import words
from kernelwright.guard.context import Context, FunctionNode
from kernelwright.guard.facts import callee_name
from kernelwright.guard.rules._base import info
from kernelwright.guard.rules._state import (
    Scope,
    bound_names,
    make_scope,
    module_globals,
    persistent_key,
    root_name,
)

CALL_COUNTER = info(
    "KW-S080",
    "call-counter",
    "hard",
    "timing-evasion",
    "a counter incremented on each call feeds a branch that decides what is computed or returned",
)

_WHY = (
    "code that behaves differently after N calls can pass the correctness checks and cheat while timed; "
    "that is timing evasion, and the judge checks every timed call anyway. Compute the same way on every "
    "call."
)
PHASE_PROBE = info(
    "KW-S082",
    "phase-probe",
    "soft",
    "timing-evasion",
    "branches on graph capture, compilation, profiling, tracing, stream identity or the clock",
)
PHASE_PROBES = words(
    "torch.cuda.is_current_stream_capturing torch.cuda.graphs.is_current_stream_capturing "
    "torch.compiler.is_compiling torch.compiler.is_dynamo_compiling torch._dynamo.is_compiling "
    "torch.autograd.profiler._is_profiler_enabled torch._C._autograd._profiler_enabled "
    "torch.cuda.current_stream torch.cuda.default_stream sys.gettrace sys.getprofile "
    "time.perf_counter time.perf_counter_ns time.time time.time_ns time.monotonic time.monotonic_ns"
)
_PROBE_WHY = (
    "a branch on how the call is being run (captured in a CUDA graph, compiled, profiled, traced, on "
    "which stream, or when) is how a candidate tells the judge's phases apart. Compute the same way "
    "in every context; the judge checks the outputs of timed calls too."
)
INIT_METHODS = frozenset({"__init__", "__post_init__", "reset_parameters", "__setstate__"})
LOGGING_ROOTS = frozenset(words("print logging logger log warnings LOGGER _log _logger"))
LOGGING_METHODS = frozenset(words("debug info warning warn error exception log write flush"))


def _functions(ctx: Context) -> list[FunctionNode]:
    return [n for n in ctx.walk() if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _increments(ctx: Context, scope: Scope) -> dict[str, int]:
    """Persistent keys this function increments (``+=``/``-=``, ``x = x + 1``, ``next(counter)``)."""
    found: dict[str, int] = {}
    for n in ctx.body_nodes(scope.fn.body):
        key = None
        if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Add | ast.Sub):
            key = persistent_key(scope, n.target)
        elif isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.value, ast.BinOp):
            if isinstance(n.value.op, ast.Add | ast.Sub):
                target = ast.unparse(n.targets[0])
                if target in (ast.unparse(n.value.left), ast.unparse(n.value.right)):
                    key = persistent_key(scope, n.targets[0])
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "next" and n.args:
            key = persistent_key(scope, n.args[0])
        if key is not None:
            found.setdefault(key, getattr(n, "lineno", 0))
    return found


def _keys_in(scope: Scope, expr: ast.AST, tainted: dict[str, str], predicates: dict[str, str]) -> set[str]:
    keys: set[str] = set()
    for n in ast.walk(expr):
        key = persistent_key(scope, n) if isinstance(n, ast.Attribute | ast.Name | ast.Subscript) else None
        if key is not None:
            keys.add(key)
        if isinstance(n, ast.Name) and n.id in tainted:
            keys.add(tainted[n.id])
        if isinstance(n, ast.Call) and callee_name(n) in predicates:
            keys.add(predicates[str(callee_name(n))])
    return keys


def _is_logging_only(stmts: list[ast.stmt]) -> bool:
    for s in stmts:
        if isinstance(s, ast.Pass):
            continue
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call):
            root = root_name(s.value.func)
            method = s.value.func.attr if isinstance(s.value.func, ast.Attribute) else None
            if (root is not None and root.id in LOGGING_ROOTS) or method in LOGGING_METHODS:
                continue
        return False
    return True


def _tests(ctx: Context, fn: FunctionNode) -> list[tuple[ast.AST, ast.expr, bool]]:
    """(node, test, decides-what-is-computed) for every branch in `fn`."""
    out: list[tuple[ast.AST, ast.expr, bool]] = []
    for n in ctx.body_nodes(fn.body):
        if isinstance(n, ast.If):
            out.append((n, n.test, not (_is_logging_only(n.body) and _is_logging_only(n.orelse))))
        elif isinstance(n, ast.While | ast.IfExp):
            out.append((n, n.test, True))
        elif isinstance(n, ast.Match):
            out.append((n, n.subject, True))
    return out


def check_call_counter(ctx: Context) -> None:
    """A persistent counter incremented outside ``__init__`` that is tested by a computing branch."""
    globals_ = module_globals(ctx)
    scopes = {
        fn: make_scope(ctx, fn, globals_) for fn in _functions(ctx) if fn.name not in ctx.facts.jit_kernels
    }
    counters: dict[str, int] = {}
    for fn, scope in scopes.items():
        if fn.name not in INIT_METHODS:
            for key, line in _increments(ctx, scope).items():
                counters.setdefault(key, line)
    if not counters:
        return
    # Helpers like `def _timing(self): return self.calls > 3` make `if self._timing():` a counter test.
    predicates: dict[str, str] = {}
    for fn, scope in scopes.items():
        for n in ctx.body_nodes(fn.body):
            if isinstance(n, ast.Return) and n.value is not None:
                hit = _keys_in(scope, n.value, {}, {}) & counters.keys()
                if hit:
                    predicates[fn.name] = sorted(hit)[0]
    for fn, scope in scopes.items():
        tainted: dict[str, str] = {}
        for _ in range(2):  # locals copied from a counter: `n = self.calls`
            for n in ctx.body_nodes(fn.body):
                if isinstance(n, ast.Assign):
                    hit = _keys_in(scope, n.value, tainted, predicates) & counters.keys()
                    if hit:
                        for t in n.targets:
                            for name in bound_names(t):
                                tainted[name] = sorted(hit)[0]
        for node, test, computes in _tests(ctx, fn):
            hit = _keys_in(scope, test, tainted, predicates) & counters.keys()
            if not hit or not computes:
                continue
            key = sorted(hit)[0]
            where = f"{key} (incremented at line {counters[key]})"
            ctx.report(CALL_COUNTER, node, f"branches on the call counter {where}: {_WHY}")


def check_phase_probe(ctx: Context) -> None:
    """A computing branch whose test asks how the call is run (graph capture, compile, profiler, clock)."""
    for fn in _functions(ctx):
        if fn.name in ctx.facts.jit_kernels:
            continue
        for node, test, computes in _tests(ctx, fn):
            if not computes:
                continue
            for sub in ast.walk(test):
                qual = ctx.resolve(sub) if isinstance(sub, ast.Attribute | ast.Name) else None
                if qual is not None and qual in PHASE_PROBES:
                    ctx.report(PHASE_PROBE, node, f"branches on {qual}(): {_PROBE_WHY}")
                    break


RULES = [CALL_COUNTER, PHASE_PROBE]
CHECKS = [check_call_counter, check_phase_probe]
