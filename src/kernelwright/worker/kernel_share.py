"""The share of a forward's device time spent in the candidate's own kernels (issue: proof of work).

One extra, untimed call on the largest case. Every custom launch the ledger sees (a Triton kernel,
a function of a `load_inline` extension) is bracketed by CUDA events on the stream it goes to; the
whole call by a pair on the judge's stream. A ~2 ms spin kernel is queued first, so the host has
enqueued the forward's launches before the GPU reaches them: the brackets then hold device time,
not host launch latency (the idea of nvbench's blocking kernel). Share = bracketed / whole.

Reported, not decisive: it runs in the candidate's process, and the ablation, not this number,
decides `reference-passthrough`. A forward whose host work outlasts the spin shows gaps, which
lower the share; work left on an unjoined side stream is outside the whole-call pair.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from kernelwright.worker.clock import Clock
from kernelwright.worker.launches import LaunchLedger

SPIN_CYCLES = 4_000_000  # ~2 ms at the H100's 1.98 GHz boost clock


def measure_custom_share(clock: Clock, ledger: LaunchLedger, fn: Callable[[], Any]) -> float | None:
    if not clock.cuda:
        return None
    pairs: list[tuple[Any, Any]] = []

    def bracket() -> Callable[[], None]:
        stream = torch.cuda.current_stream()
        start, end = clock._event_cls(enable_timing=True), clock._event_cls(enable_timing=True)
        clock._record(start, stream)
        pairs.append((start, end))
        return lambda: clock._record(end, stream)

    whole_start, whole_end = clock._event_cls(enable_timing=True), clock._event_cls(enable_timing=True)
    clock.sync()
    clock._spin(SPIN_CYCLES)  # torch._C._cuda_sleep, captured before the candidate was imported
    clock._record(whole_start, clock._stream)
    ledger.bracket = bracket
    try:
        with torch.no_grad():
            fn()
    finally:
        ledger.bracket = None
    clock._record(whole_end, clock._stream)
    clock.sync()
    whole = float(clock._elapsed(whole_start, whole_end))
    if whole <= 0.0:
        return None
    custom = sum(float(clock._elapsed(a, b)) for a, b in pairs)
    return round(min(1.0, custom / whole), 4)
