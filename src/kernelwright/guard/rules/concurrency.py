"""Work that outlives ``forward``: background threads, event loops and side streams.

Cheat 13 (THREATS.md) returns early and lets a background thread fill the output after the judge
stopped the clock. Cheat 1 does the same on the GPU with a private stream. Threads are never needed
(hard); side streams are legitimate when joined back to the current stream, which only the runtime
can verify, so they are soft.
"""

from __future__ import annotations

import ast

from kernelwright.guard.aliases import matches_any, words
from kernelwright.guard.context import Context
from kernelwright.guard.rules._base import RefTable, info, report_references

BACKGROUND_THREAD = info(
    "KW-S070",
    "background-thread",
    "hard",
    "sandbox",
    "starts threads, timers, executors or asyncio loops (threading.Thread, concurrent.futures, asyncio)",
)
SIDE_STREAM = info(
    "KW-S090",
    "side-stream",
    "soft",
    "timing-evasion",
    "uses a CUDA stream other than the current one (torch.cuda.Stream / torch.cuda.stream)",
)

THREAD_BASES = ("threading.Thread", "threading.Timer", "multiprocessing.Process")
THREAD_TABLE: RefTable = [
    (
        words(
            "threading.Thread threading.Timer _thread.start_new_thread _thread.start_new "
            "concurrent.futures asyncio.run asyncio.get_event_loop asyncio.new_event_loop "
            "asyncio.get_running_loop asyncio.create_task asyncio.ensure_future "
            "asyncio.run_coroutine_threadsafe asyncio.to_thread asyncio.Runner "
            "multiprocessing.pool.ThreadPool multiprocessing.dummy"
        ),
        "work that runs after forward returns can fill the output after the judge stopped the clock; that is "
        "evasion the sandbox forbids. Do all work inside forward, on the GPU, and return when it is queued.",
    )
]
STREAM_TABLE: RefTable = [
    (
        words(
            "torch.cuda.Stream torch.cuda.stream torch.cuda.streams.Stream torch.cuda.StreamContext "
            "torch.cuda.set_stream torch.cuda.ExternalStream torch.Stream "
            "torch.cuda.streams.ExternalStream"
        ),
        "a side stream is fine only if joined back (torch.cuda.current_stream().wait_stream(s)) before "
        "forward returns; unjoined work escapes the judge's timing (the runtime checks this).",
    )
]
JOIN_METHODS = frozenset({"wait_stream", "wait_event"})


def check_background_threads(ctx: Context) -> None:
    """threading.Thread / Timer, _thread, concurrent.futures executors, asyncio loops, Thread subclasses."""
    report_references(ctx, BACKGROUND_THREAD, THREAD_TABLE)
    for node in ctx.walk():
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                qual = ctx.resolve(base)
                if qual and matches_any(qual, THREAD_BASES):
                    ctx.report(
                        BACKGROUND_THREAD, node, f"class {node.name} extends {qual}: {THREAD_TABLE[0][1]}"
                    )


def check_side_streams(ctx: Context) -> None:
    """``torch.cuda.Stream()`` / ``with torch.cuda.stream(s)``: soft, noting whether a join was seen."""
    joined = any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in JOIN_METHODS
        for n in ctx.walk()
    )
    note = (
        " A join (wait_stream/wait_event) was seen."
        if joined
        else " No wait_stream/wait_event join was seen: join the stream back, or drop it."
    )
    report_references(ctx, SIDE_STREAM, [(patterns, why + note) for patterns, why in STREAM_TABLE])


RULES = [BACKGROUND_THREAD, SIDE_STREAM]
CHECKS = [check_background_threads, check_side_streams]
