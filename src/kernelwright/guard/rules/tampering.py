"""Tampering with the judge's process: its clocks, torch/triton/numpy, builtins and the import system.

Cheat 2 (THREATS.md) replaces ``torch.cuda.Event``, ``elapsed_time``, ``synchronize`` or
``time.perf_counter`` so the judge measures nothing; cheat 11's patch half rewrites
``torch.allclose`` / ``torch.testing.assert_close`` so a wrong answer compares equal. Both need a
*write* into a module the judge also uses. This module enumerates every such write (attribute stores
and deletes, ``setattr``/``delattr``, ``monkeypatch``/``mock.patch``, ``X.__dict__[...]``, edits of
``sys.modules`` and import hooks, ``importlib.reload``) and classifies its target.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from kernelwright.guard.aliases import UNKNOWN, const_str, matches_any, words
from kernelwright.guard.context import Context
from kernelwright.guard.findings import RuleInfo
from kernelwright.guard.rules._base import info

MODULE_TAMPER = info(
    "KW-S010",
    "module-tamper",
    "hard",
    "tampering",
    "assigns or deletes an attribute of torch, triton, numpy, sys, kernelwright or another shared module",
)
BUILTINS_TAMPER = info(
    "KW-S011",
    "builtins-tamper",
    "hard",
    "tampering",
    "edits builtins (builtins.X = ..., __builtins__[...] = ...)",
)
TIMER_PATCH = info(
    "KW-S012",
    "timer-patch",
    "hard",
    "tampering",
    "replaces a timer, event or sync function (torch.cuda.Event, synchronize, time.perf_counter, do_bench)",
)
IMPORT_TAMPER = info(
    "KW-S013",
    "import-system-tamper",
    "hard",
    "tampering",
    "writes sys.modules, installs import hooks or reloads modules",
)

TIMER_TARGETS = words(
    "torch.cuda.Event torch.cuda.streams torch.cuda.Stream torch.cuda.synchronize "
    "torch.cuda.current_stream torch.cuda.default_stream torch.cuda.elapsed_time torch.Event "
    "torch.Stream torch.accelerator.synchronize torch._C._cuda_synchronize torch._C._CudaEventBase "
    "torch._C._CudaStreamBase torch.utils.benchmark torch.profiler torch.autograd.profiler "
    "time.perf_counter time.perf_counter_ns time.time time.time_ns time.monotonic time.monotonic_ns "
    "time.process_time time.process_time_ns time.thread_time time.thread_time_ns time.clock_gettime "
    "time.clock_gettime_ns time.sleep timeit triton.testing"
)
TIMER_MODULES = frozenset({"time", "timeit", "torch.cuda", "triton.testing"})
IMPORT_SYSTEM = words(
    "sys.modules sys.meta_path sys.path_hooks sys.path_importer_cache builtins.__import__ "
    "importlib.reload imp.reload"
)
PROTECTED_ROOTS = frozenset(
    words(
        "torch triton numpy kernelwright builtins sys time gc inspect traceback importlib threading os "
        "io math random functools operator unittest pytest _pytest types __main__ timeit pickle copy "
        "json"
    )
)
# Writes to these are ordinary performance settings, not tampering.
ALLOWED_SETTINGS = words(
    "torch.backends torch._dynamo.config torch._inductor.config torch._functorch.config "
    "sys.dont_write_bytecode"
)
ENVIRONMENT = ("os.environ", "os.environb", "os.putenv", "os.unsetenv")  # left to the env rules
CONTAINER_MUTATORS = frozenset(
    words("update pop popitem setdefault clear __setitem__ __delitem__ append insert extend remove")
)
SETATTR_QUALS = frozenset(
    words(
        "builtins.setattr builtins.delattr builtins.object.__setattr__ builtins.object.__delattr__ "
        "builtins.type.__setattr__ builtins.type.__delattr__"
    )
)


@dataclass(frozen=True)
class Write:
    node: ast.AST
    qual: str  # what is written; segments computed at run time are UNKNOWN ("torch.?")
    how: str  # verb phrase for the message


def _namespace_of(ctx: Context, node: ast.AST) -> str | None:
    """``X.__dict__`` / ``vars(X)`` / ``__builtins__`` (a dict in imported modules) -> X's qualified name."""
    if isinstance(node, ast.Attribute) and node.attr == "__dict__":
        return ctx.resolve(node.value)
    if isinstance(node, ast.Call) and ctx.resolve(node.func) == "builtins.vars" and node.args:
        return ctx.resolve(node.args[0])
    if ctx.resolve(node) == "builtins":
        return "builtins"
    return None


def _verb(name: str) -> str:
    """``setattr`` -> "sets (via setattr)", ``__delattr__`` -> "deletes (via __delattr__)"."""
    return f"{'deletes' if 'del' in name else 'sets'} (via {name})"


def _setattr_like(ctx: Context, call: ast.Call) -> Write | None:
    """setattr/delattr/object.__setattr__, pytest's ``monkeypatch.setattr``, ``mock.patch*``."""
    callee = ctx.resolve(call.func)
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    owner = func.value if isinstance(func, ast.Attribute) else None
    owner_name = (
        owner.attr if isinstance(owner, ast.Attribute) else owner.id if isinstance(owner, ast.Name) else ""
    )
    args = call.args
    if name in ("__setattr__", "__delattr__") and callee not in SETATTR_QUALS and owner is not None:
        base = ctx.resolve(owner)  # torch.cuda.__setattr__("synchronize", f)
        if base and args:
            return Write(call, f"{base}.{const_str(args[0]) or UNKNOWN}", _verb(name))
        if callee is None and len(args) >= 2:  # type(torch.cuda).__setattr__(torch.cuda, "synchronize", f)
            base = ctx.resolve(args[0])
            return Write(call, f"{base}.{const_str(args[1]) or UNKNOWN}", _verb(name)) if base else None
        return None
    if callee in SETATTR_QUALS or (callee is None and name in ("setattr", "delattr")):
        if args and callee is None and const_str(args[0]):  # monkeypatch.setattr("torch.cuda.synchronize", f)
            return Write(call, str(const_str(args[0])), _verb(name))
        if len(args) >= 2:
            base = ctx.resolve(args[0])
            if base:
                return Write(call, f"{base}.{const_str(args[1]) or UNKNOWN}", _verb(name))
        return None
    is_patch = (callee or "").endswith("mock.patch") or (callee is None and name == "patch")
    is_patch_member = (callee or "").startswith(
        ("unittest.mock.patch.", "mock.patch.")
    ) or owner_name == "patch"
    if is_patch and args and const_str(args[0]):
        return Write(call, str(const_str(args[0])), "patches")
    if is_patch_member and args:
        base = ctx.resolve(args[0])
        if base is None:
            return None
        if name == "object" and len(args) >= 2:
            return Write(call, f"{base}.{const_str(args[1]) or UNKNOWN}", "patches")
        if name == "multiple":
            keys = [kw.arg for kw in call.keywords if kw.arg]
            return Write(call, f"{base}.{keys[0] if len(keys) == 1 else UNKNOWN}", "patches")
        if name == "dict":
            return Write(call, base, "patches")
    return None


def _update_keys(call: ast.Call) -> list[str]:
    """Literal keys of ``ns.update(a=..)`` / ``ns.update({"a": ..})`` / ``ns.setdefault("a", ..)``."""
    keys = [kw.arg for kw in call.keywords if kw.arg]
    for arg in call.args[:1]:
        if isinstance(arg, ast.Dict):
            keys += [k for k in (const_str(k) for k in arg.keys) if k]
        elif const_str(arg):
            keys.append(str(const_str(arg)))
    return keys


def writes(ctx: Context) -> Iterator[Write]:
    """Every write the candidate makes into something it did not create."""
    for node in ctx.walk():
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del):
            qual = ctx.resolve(node)
            if qual:
                yield Write(node, qual, "assigns" if isinstance(node.ctx, ast.Store) else "deletes")
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
            how = "writes" if isinstance(node.ctx, ast.Store) else "deletes from"
            container = ctx.resolve(node.value)
            ns = _namespace_of(ctx, node.value)
            if container and matches_any(container, IMPORT_SYSTEM):
                yield Write(node, container, how)
            elif ns:
                yield Write(node, f"{ns}.{const_str(node.slice) or UNKNOWN}", how)
        elif isinstance(node, ast.Call):
            found = _setattr_like(ctx, node)
            if found:
                yield found
                continue
            callee = ctx.resolve(node.func)
            if callee in ("importlib.reload", "imp.reload"):
                yield Write(node, callee, "calls")
            elif isinstance(node.func, ast.Attribute) and node.func.attr in CONTAINER_MUTATORS:
                receiver = node.func.value
                container = ctx.resolve(receiver)
                ns = _namespace_of(ctx, receiver)
                if container and matches_any(container, IMPORT_SYSTEM):
                    yield Write(node, container, f"calls .{node.func.attr}() on")
                elif ns:
                    how = f"calls .{node.func.attr}() on the namespace of"
                    for key in _update_keys(node) or [UNKNOWN]:
                        yield Write(node, f"{ns}.{key}", how)


def _is_timer(qual: str) -> bool:
    """A timer target, or a computed attribute of a module whose attributes are mostly timers."""
    parts = qual.split(".")
    if UNKNOWN in parts:
        known = ".".join(parts[: parts.index(UNKNOWN)])
        return bool(known) and (known in TIMER_MODULES or matches_any(known, TIMER_TARGETS))
    return matches_any(qual, TIMER_TARGETS)


_IMPORT_WHY = (
    "editing the import system (sys.modules, import hooks, reload) can hand the judge fake modules; "
    "that is tampering. Import what you need with plain import statements."
)
_TIMER_WHY = (
    "replacing timing or synchronisation functions is tampering with the judge's clock. Time nothing "
    "yourself and leave torch.cuda/time/triton.testing alone; the judge times your kernel with its own "
    "saved originals."
)
_BUILTINS_WHY = (
    "editing builtins changes every module in the process, the judge's too; that is tampering. "
    "Define your own helper function instead."
)
_MODULE_WHY = (
    "changing a shared module's attributes changes what the judge's own checking and timing code does; "
    "that is tampering. Keep state on your own objects (self.x, ModelNew.x); only settings such as "
    "torch.backends.* and torch._inductor.config.* may be set."
)


def _classify(qual: str) -> tuple[RuleInfo, str] | None:
    """Which rule a write to `qual` breaks: import system > timers > builtins > other shared module."""
    if matches_any(qual, ENVIRONMENT) or matches_any(qual, ALLOWED_SETTINGS):
        return None
    if matches_any(qual, IMPORT_SYSTEM):
        return IMPORT_TAMPER, _IMPORT_WHY
    if _is_timer(qual):
        return TIMER_PATCH, _TIMER_WHY
    if qual == "builtins" or qual.startswith("builtins."):
        return BUILTINS_TAMPER, _BUILTINS_WHY
    if qual.split(".")[0] in PROTECTED_ROOTS | {UNKNOWN}:
        return MODULE_TAMPER, _MODULE_WHY
    return None


def check_tampering(ctx: Context) -> None:
    """Report every write into a shared module under the most specific tampering rule."""
    for w in writes(ctx):
        found = _classify(w.qual)
        if found is not None:
            rule, why = found
            shown = ".".join("<computed>" if p == UNKNOWN else p for p in w.qual.split("."))
            ctx.report(rule, w.node, f"{w.how} {shown}: {why}")


RULES = [MODULE_TAMPER, BUILTINS_TAMPER, TIMER_PATCH, IMPORT_TAMPER]
CHECKS = [check_tampering]
