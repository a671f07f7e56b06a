"""Introspection: walking frames, the garbage collector or sys.modules to find the judge.

Cheat 11 (THREATS.md) walks ``gc.get_objects()`` or caller frames to find the expected output or the
checker and patch it; cheat 5's detection half inspects the stack to tell the correctness phase from
the timing phase. A kernel never needs any of this.
"""

from __future__ import annotations

import ast

from kernelwright.guard.aliases import words
from kernelwright.guard.context import Context
from kernelwright.guard.rules._base import RefTable, info, report_references

FRAME_INTROSPECTION = info(
    "KW-S020",
    "frame-introspection",
    "hard",
    "sandbox",
    "reads interpreter frames (sys._getframe, inspect.stack, traceback.extract_stack, .f_back, .f_locals)",
)
GC_INTROSPECTION = info(
    "KW-S021",
    "gc-introspection",
    "hard",
    "sandbox",
    "walks the heap (gc.get_objects/get_referrers/get_referents)",
)
TRACE_HOOK = info(
    "KW-S022",
    "trace-hook",
    "hard",
    "sandbox",
    "installs a trace, profile, monitoring or audit hook (sys.settrace, sys.setprofile, sys.addaudithook)",
)
SYS_MODULES_READ = info(
    "KW-S023", "sys-modules-read", "soft", "sandbox", "reads or iterates sys.modules (suspicious, not proof)"
)

_FRAME_WHY = (
    "reading interpreter frames lets a candidate find the judge's variables or tell checking from timing; "
    "a kernel never needs it. Remove it; frame introspection is blocked at run time anyway."
)
FRAME_TABLE: RefTable = [
    (
        words(
            "sys._getframe sys._current_frames sys._getframemodulename inspect.currentframe "
            "inspect.stack inspect.trace inspect.getouterframes inspect.getinnerframes "
            "inspect.getframeinfo traceback.extract_stack traceback.walk_stack traceback.walk_tb "
            "traceback.format_stack traceback.print_stack traceback.StackSummary"
        ),
        _FRAME_WHY,
    )
]
GC_TABLE: RefTable = [
    (
        words("gc.get_objects gc.get_referrers gc.get_referents gc.get_stats gc.garbage"),
        "walking the garbage collector's objects lets a candidate find the expected output or the checker; "
        "that is sandbox escape. Keep to your own tensors.",
    )
]
TRACE_TABLE: RefTable = [
    (
        words(
            "sys.settrace sys.setprofile sys.addaudithook sys.monitoring sys.call_tracing "
            "threading.settrace threading.setprofile threading.settrace_all_threads "
            "threading.setprofile_all_threads _thread.settrace"
        ),
        "a trace/profile/audit hook sees every call the judge makes and can change its behaviour; that is "
        "sandbox escape. Remove it.",
    )
]
FRAME_ATTRS = frozenset(
    words("f_back f_locals f_globals f_builtins tb_frame gi_frame cr_frame ag_frame __globals__")
)
_SYS_MODULES_WHY = (
    "looking through loaded modules is how a cheat finds the judge's code; a kernel does not need it. "
    "Import what you need directly."
)
SYS_MODULES_WRITE_METHODS = frozenset(words("update pop popitem setdefault clear __setitem__ __delitem__"))


def check_frame_introspection(ctx: Context) -> None:
    """Frame-walking APIs and the frame attributes (``.f_back``, ``.tb_frame``, ``__globals__``...)."""
    report_references(ctx, FRAME_INTROSPECTION, FRAME_TABLE)
    for node in ctx.walk():
        if isinstance(node, ast.Attribute) and node.attr in FRAME_ATTRS:
            ctx.report(FRAME_INTROSPECTION, node, f"reads .{node.attr}: {_FRAME_WHY}")


def check_gc_introspection(ctx: Context) -> None:
    """``gc.get_objects`` and friends: the heap walk that finds the expected output tensor."""
    report_references(ctx, GC_INTROSPECTION, GC_TABLE)


def check_trace_hooks(ctx: Context) -> None:
    """``sys.settrace`` / ``setprofile`` / audit hooks: a hook sees (and can alter) the judge's calls."""
    report_references(ctx, TRACE_HOOK, TRACE_TABLE)


def check_sys_modules_read(ctx: Context) -> None:
    """Reads of ``sys.modules``: how a cheat finds the judge's modules. Soft: some code reads it innocently.

    Writes (``sys.modules[k] = v``, ``.pop``, ``.update``...) are hard `import-system-tamper` findings.
    """
    for node, qual in ctx.references():
        if qual != "sys.modules" and not qual.startswith("sys.modules."):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        parent = ctx.parent(node)
        if isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Store | ast.Del):
            continue
        if qual.rsplit(".", 1)[-1] in SYS_MODULES_WRITE_METHODS:
            continue
        ctx.report(SYS_MODULES_READ, node, f"reads sys.modules: {_SYS_MODULES_WHY}")


RULES = [FRAME_INTROSPECTION, GC_INTROSPECTION, TRACE_HOOK, SYS_MODULES_READ]
CHECKS = [check_frame_introspection, check_gc_introspection, check_trace_hooks, check_sys_modules_read]
