"""Output caching: returning a stored answer when the inputs look the same as before.

Cheat 4/5 (THREATS.md) keys a cache on ``x.data_ptr()``, ``id(x)``, ``hash(x)``, a content fingerprint
(``x.sum().item()``) or the shape, and returns the stored *output* without launching anything on
later calls, which makes the timed calls free. Legitimate caches look alike but store something else:
a transformed *weight* (keyed by ``self.weight``, not an input), launch configs or compiled kernels
(never returned), or a reusable output *buffer* that a kernel writes on every call.
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

OUTPUT_CACHE = info(
    "KW-S081",
    "output-cache",
    "hard",
    "timing-evasion",
    "returns a stored output looked up by the inputs' data_ptr/id/hash/content/shape, without a launch",
)

FINGERPRINT_ATTRS = frozenset(
    words(
        "data_ptr item tolist tobytes numpy _version storage untyped_storage shape size stride __hash__ "
        "sum mean cpu _cdata __array_interface__"
    )
)
FINGERPRINT_FUNCS = frozenset({"builtins.id", "builtins.hash", "builtins.repr", "builtins.str"})
STORE_METHODS = frozenset(words("setdefault update __setitem__ append insert"))
READ_METHODS = frozenset({"get", "setdefault", "pop", "__getitem__"})
PASS_THROUGH_METHODS = frozenset(words("clone view view_as reshape to contiguous detach as_strided"))
CACHE_DECORATORS = frozenset({"functools.lru_cache", "functools.cache"})
INIT_METHODS = frozenset({"__init__", "__post_init__", "reset_parameters", "__setstate__"})
_WHY = (
    "returning a stored output on later calls makes the timed calls free and is timing evasion; the "
    "judge feeds fresh values through reused buffers to catch it. Cache weights or launch configs if you "
    "like, but launch the kernel and write the output on every call."
)


class _Flow:
    """Per-function facts: which locals derive from inputs, and which are input fingerprints."""

    def __init__(self, ctx: Context, scope: Scope) -> None:
        self.ctx = ctx
        self.scope = scope
        self.inputs: set[str] = set(scope.params)
        self.fingerprints: set[str] = set()
        self.assigns: dict[str, list[ast.expr]] = {}
        for _ in range(3):
            for n in ctx.body_nodes(scope.fn.body):
                if isinstance(n, ast.Assign | ast.AnnAssign | ast.NamedExpr) and n.value is not None:
                    targets = n.targets if isinstance(n, ast.Assign) else [n.target]
                    names = [name for tgt in targets for name in bound_names(tgt)]
                    derived = self._mentions_input(n.value)
                    fp = self.is_fingerprint(n.value)
                    for name in names:
                        if derived:
                            self.inputs.add(name)
                        if fp:
                            self.fingerprints.add(name)
        for n in ctx.body_nodes(scope.fn.body):
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    if isinstance(t, ast.Name):
                        self.assigns.setdefault(t.id, []).append(n.value)

    def _mentions_input(self, expr: ast.AST) -> bool:
        return any(isinstance(n, ast.Name) and n.id in self.inputs for n in ast.walk(expr))

    def _on_input(self, node: ast.AST) -> bool:
        root = root_name(node)
        return root is not None and root.id in self.inputs

    def is_fingerprint(self, expr: ast.AST) -> bool:
        """True when `expr` contains a data_ptr/id/hash/content/shape fingerprint of an input."""
        for n in ast.walk(expr):
            if isinstance(n, ast.Name) and n.id in self.fingerprints:
                return True
            if isinstance(n, ast.Attribute) and n.attr in FINGERPRINT_ATTRS and self._on_input(n.value):
                return True
            if (
                isinstance(n, ast.Call)
                and self.ctx.resolve(n.func) in FINGERPRINT_FUNCS
                and n.args
                and self._on_input(n.args[0])
            ):
                return True
        return False

    def is_key(self, expr: ast.AST) -> bool:
        """A cache key made from inputs: a fingerprint, or the input tensor itself (hashed by id)."""
        if self.is_fingerprint(expr):
            return True
        elts = expr.elts if isinstance(expr, ast.Tuple) else [expr]
        return any(isinstance(e, ast.Name) and e.id in self.scope.params for e in elts)


def _unwrap(expr: ast.AST) -> ast.AST:
    while (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr in PASS_THROUGH_METHODS
    ):
        expr = expr.func.value
    return expr


def _persistent_read(flow: _Flow, expr: ast.AST) -> tuple[str, ast.AST | None] | None:
    """(persistent container key, lookup key) when `expr` reads persistent state, else None."""
    expr = _unwrap(expr)
    scope = flow.scope
    if isinstance(expr, ast.Subscript):
        base = persistent_key(scope, expr.value)
        return (base, expr.slice) if base else None
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in READ_METHODS:
        base = persistent_key(scope, expr.func.value)
        return (base, expr.args[0] if expr.args else None) if base else None
    if isinstance(expr, ast.Attribute | ast.Name):
        base = persistent_key(scope, expr)
        return (base, None) if base else None
    return None


def _stored_keys(ctx: Context, globals_: set[str]) -> set[str]:
    """Persistent containers written by some function other than __init__ (where a cache fills up)."""
    out: set[str] = set()
    for fn in ctx.walk():
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) or fn.name in INIT_METHODS:
            continue
        scope = make_scope(ctx, fn, globals_)
        for n in ctx.body_nodes(fn.body):
            target: ast.AST | None = None
            if isinstance(n, ast.Attribute | ast.Subscript | ast.Name) and isinstance(n.ctx, ast.Store):
                target = n.value if isinstance(n, ast.Subscript) else n
            elif (
                isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in STORE_METHODS
            ):
                target = n.func.value
            if target is not None:
                key = persistent_key(scope, target)
                if key:
                    out.add(key)
    return out


def _guards(ctx: Context, node: ast.AST, fn: FunctionNode) -> list[ast.expr]:
    """Tests of the ``if``/``while`` statements enclosing `node` inside `fn`."""
    tests: list[ast.expr] = []
    for anc in ctx.ancestors(node):
        if anc is fn:
            break
        if isinstance(anc, ast.If | ast.While | ast.IfExp):
            tests.append(anc.test)
    return tests


def _mentions(scope: Scope, expr: ast.AST, words: set[str]) -> bool:
    for n in ast.walk(expr):
        if isinstance(n, ast.Name) and n.id in words:
            return True
        if isinstance(n, ast.Attribute | ast.Subscript) and (
            ast.unparse(n) in words or persistent_key(scope, n) in words
        ):
            return True
    return False


def _written_each_call(
    ctx: Context, flow: _Flow, anchor: ast.AST, returned: set[str], container: str, stored: set[str]
) -> bool:
    """True when a kernel launch before `anchor` writes the returned value and is not skipped on a cache hit.

    A launch is skipped on a hit when an enclosing test mentions the returned value or the cache
    (``if out is None:``, ``if key not in self.cache:``) or compares an input fingerprint with stored
    state (``if x.data_ptr() != self._ptr:``); a plain shape dispatch (``if N <= 1024:``) is not a hit test.
    """
    fn = flow.scope.fn
    cache_words = returned | flow.fingerprints | {container}

    def hit_test(test: ast.expr) -> bool:
        if _mentions(flow.scope, test, cache_words):
            return True
        return flow.is_fingerprint(test) and any(
            persistent_key(flow.scope, n) in stored
            for n in ast.walk(test)
            if isinstance(n, ast.Attribute | ast.Name)
        )

    for call in ctx.facts.launches_in(fn.body):
        if call.lineno > getattr(anchor, "lineno", 0):
            continue
        args = [*call.args, *(kw.value for kw in call.keywords)]
        if not any(ast.unparse(a) in returned for arg in args for a in ast.walk(arg)):
            continue
        if not any(hit_test(test) for test in _guards(ctx, call, fn)):
            return True
    return False


def _outputs(ctx: Context, fn: FunctionNode) -> list[tuple[ast.AST, ast.AST, str]]:
    """(anchor, value, verb): each returned value, and each ``out.copy_(value)`` (a cached answer copied
    into a fresh buffer is still a cached answer)."""
    out: list[tuple[ast.AST, ast.AST, str]] = []
    for node in ctx.body_nodes(fn.body):
        if isinstance(node, ast.Return) and node.value is not None:
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            out += [(node, v, "returns") for v in values]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "copy_"
            and node.args
        ):
            out.append((node, node.args[0], "copies out"))
    return out


def _check_function(ctx: Context, fn: FunctionNode, globals_: set[str], stored: set[str]) -> None:
    flow = _Flow(ctx, make_scope(ctx, fn, globals_))
    for anchor, value, verb in _outputs(ctx, fn):
        names = {ast.unparse(_unwrap(value))}
        candidates: list[ast.AST] = [value]
        if isinstance(value, ast.Name):
            candidates += flow.assigns.get(value.id, [])
        for cand in candidates:
            read = _persistent_read(flow, cand)
            if read is None or read[0] not in stored:
                continue
            container, key = read
            guards = _guards(ctx, anchor, fn) + ([] if cand is value else _guards(ctx, cand, fn))
            keyed = key is not None and flow.is_key(key)
            if not keyed and not any(flow.is_fingerprint(t) for t in guards):
                continue
            returned = names | {ast.unparse(_unwrap(cand))}
            if _written_each_call(ctx, flow, anchor, returned, container, stored):
                continue
            ctx.report(
                OUTPUT_CACHE,
                anchor,
                f"{verb} {ast.unparse(_unwrap(cand))[:50]}, stored in {container} and looked up by the "
                f"inputs' identity, content or shape, without launching a kernel on a hit: {_WHY}",
            )
            break


def _returned_helpers(ctx: Context, fn: FunctionNode) -> set[str]:
    """Names of helpers whose result `fn` returns directly (``return self._impl(x)``)."""
    out: set[str] = set()
    for n in ctx.body_nodes(fn.body):
        if isinstance(n, ast.Return) and isinstance(n.value, ast.Call):
            name = callee_name(n.value)
            if name:
                out.add(name)
    return out


def _is_cache_decorator(ctx: Context, dec: ast.expr) -> bool:
    target = dec.func if isinstance(dec, ast.Call) else dec
    return ctx.resolve(target) in CACHE_DECORATORS


def check_output_cache(ctx: Context) -> None:
    """``forward`` (or a helper it returns) returning a persistent lookup keyed by input fingerprints,
    and ``functools.lru_cache`` on functions that launch kernels."""
    globals_ = module_globals(ctx)
    stored = _stored_keys(ctx, globals_)
    functions = [n for n in ctx.walk() if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    forwards = [fn for fn in functions if fn.name == "forward"]
    helper_names = set().union(*(_returned_helpers(ctx, fn) for fn in forwards)) if forwards else set()
    targets = [fn for fn in functions if fn.name == "forward" or fn.name in helper_names]
    for fn in targets:
        _check_function(ctx, fn, globals_, stored)
    for fn in functions:
        for dec in fn.decorator_list:
            if not _is_cache_decorator(ctx, dec):
                continue
            launches = ctx.facts.launches_in(fn.body)
            if launches or fn in targets:
                ctx.report(
                    OUTPUT_CACHE,
                    dec,
                    f"caches the results of {fn.name}, which "
                    + ("launches a kernel" if launches else "forward returns")
                    + f" (lru_cache keys tensors by id, so the same buffer gets the old answer): {_WHY}",
                )


RULES = [OUTPUT_CACHE]
CHECKS = [check_output_cache]
