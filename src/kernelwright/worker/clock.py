"""Timing primitives captured before any untrusted import (THREATS #2), and the timed-call loop.

The candidate worker builds a `Clock` before it imports the candidate, so replacing
`torch.cuda.synchronize`, `torch.cuda.Event` or `time.perf_counter` afterwards changes nothing we
measure with; `Clock.tampered()` then names what was replaced so the verdict can say `tampering`.
We hold the C-level functions (`torch._C._cuda_synchronize`, `_CudaEventBase` methods), because the
Python wrappers look their callees up through module globals that a candidate can rebind.

Per timed call (DESIGN "Honest timing"): fresh input values (new buffers on even calls, refilled
buffers on odd ones), an L2 flush by writing a buffer of 2x the L2 size, a device-wide synchronise
before the start event and before the end event (a private stream cannot close early: THREATS #1),
host wall time around it as a cross-check, and the output handed to `check` for comparison.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from kernelwright.worker.common import flatten_outputs


@dataclass
class Clock:
    cuda: bool
    perf: Callable[[], float] = field(default=time.perf_counter)
    originals: dict[str, Any] = field(default_factory=dict)
    # C-level CUDA primitives, filled by capture() on a GPU (see the module docstring).
    _sync: Any = None
    _event_cls: Any = None
    _record: Any = None
    _elapsed: Any = None
    _stream: Any = None
    _flush: Any = None
    _current_stream: Any = None
    _spin: Any = None

    @classmethod
    def capture(cls, cuda: bool) -> Clock:
        import triton.testing

        clock = cls(cuda=cuda, perf=time.perf_counter)
        watched: dict[str, tuple[Any, str]] = {
            "time.perf_counter": (time, "perf_counter"),
            "time.time": (time, "time"),
            "time.monotonic": (time, "monotonic"),
            "torch.cuda.synchronize": (torch.cuda, "synchronize"),
            "torch.cuda.Event": (torch.cuda, "Event"),
            "torch.cuda.Stream": (torch.cuda, "Stream"),
            "torch.allclose": (torch, "allclose"),
            "torch.equal": (torch, "equal"),
            "torch.testing.assert_close": (torch.testing, "assert_close"),
            "triton.testing.do_bench": (triton.testing, "do_bench"),
        }
        if cuda:
            watched["torch._C._cuda_synchronize"] = (torch._C, "_cuda_synchronize")
        clock.originals = {
            name: (owner, attr, getattr(owner, attr)) for name, (owner, attr) in watched.items()
        }
        if cuda:
            clock._sync = torch._C._cuda_synchronize
            clock._event_cls = torch._C._CudaEventBase
            clock._record = torch._C._CudaEventBase.record
            clock._elapsed = torch._C._CudaEventBase.elapsed_time
            clock._stream = torch.cuda.current_stream()
            clock._current_stream = torch._C._cuda_getCurrentStream  # -> (stream id, device, type)
            clock._spin = torch._C._cuda_sleep
            props = torch.cuda.get_device_properties(0)
            l2 = int(getattr(props, "L2_cache_size", 50 * 2**20) or 50 * 2**20)
            # 2x L2 (DESIGN): 100 MB on an H100; writing it costs ~40 us, outside the timed region.
            clock._flush = torch.empty(2 * l2 // 4, dtype=torch.int32, device="cuda")
        return clock

    def delay_foreign_stream(self) -> None:
        """Queue ~1 ms of spinning on the current stream when it is not the judge's (see LaunchLedger).

        A joined side stream costs that millisecond on correctness calls only (never timed); an unjoined
        one has not written its outputs when the judge's stream snapshots them.
        """
        if self.cuda and self._current_stream(self._stream.device_index)[0] != self._stream.stream_id:
            self._spin(2_000_000)

    def tampered(self) -> list[str]:
        return [
            name
            for name, (owner, attr, orig) in self.originals.items()
            if getattr(owner, attr, None) is not orig
        ]

    def sync(self) -> None:
        if self.cuda:
            self._sync()

    def flush_l2(self) -> None:
        if self.cuda:
            self._flush.zero_()

    def time_call(
        self, fn: Callable[[], Any], early: Callable[[Any], Any] | None = None
    ) -> tuple[Any, float, float, Any]:
        """(result, device ms, host ms, early(result)) of one call, honest against side streams.

        `early` runs right after forward returns, before the device-wide synchronise, on the stream
        the judge captured: a snapshot taken there is what a caller on that stream would read, so
        work left running on an unjoined private stream shows up as a wrong answer (THREATS #1).
        Correctness cases use it; timed calls do not, so the copy stays out of the timed region.
        """
        if not self.cuda:
            t0 = self.perf()
            out = fn()
            ms = (self.perf() - t0) * 1e3
            return out, ms, ms, early(out) if early else None
        start = self._event_cls(enable_timing=True)
        end = self._event_cls(enable_timing=True)
        self.flush_l2()
        self._sync()
        t0 = self.perf()
        self._record(start, self._stream)
        out = fn()
        snap = None
        if early is not None:
            with torch.cuda.stream(self._stream):
                snap = early(out)
        self._sync()  # device-wide: work on any stream finishes before the end timestamp
        self._record(end, self._stream)
        self._sync()
        host_ms = (self.perf() - t0) * 1e3
        return out, float(self._elapsed(start, end)), host_ms, snap


def plain_outputs(out: Any) -> tuple[list[torch.Tensor] | None, str]:
    """Snapshot outputs right after the synchronised call (THREATS #13), refusing lazy objects (#12)."""
    flat = flatten_outputs(out)
    snap: list[torch.Tensor] = []
    for i, o in enumerate(flat):
        if type(o) is not torch.Tensor:
            return (
                None,
                f"output {i} is a {type(o).__module__}.{type(o).__qualname__}, not a plain torch.Tensor",
            )
        if o.layout is not torch.strided:
            return None, f"output {i} has layout {o.layout}; a dense strided tensor is required"
        if o.requires_grad:
            o = o.detach()
        snap.append(o.detach().clone())  # stays on the device: timed calls send only the checked positions
    return snap, ""


def checked_values(snap: list[torch.Tensor], positions: list) -> list[torch.Tensor]:
    """The elements the parent asked for (None: the whole output), gathered on the device, then copied."""
    out = []
    for s, idx in zip(snap, positions, strict=True):
        flat = s.reshape(-1)
        out.append(
            (flat if idx is None else flat[torch.tensor(idx, dtype=torch.long, device=flat.device)]).cpu()
        )
    return out


def report_timed_call(
    send: Callable[..., None],
    recv: Callable[[], tuple[dict, bytes]],
    index: int,
    snap: list[torch.Tensor],
    ms: float,
    host_ms: float,
) -> None:
    """One timed call's exchange with the parent, shared by both workers so their loops cost the same
    (the parent calibrates its wall-clock check on the reference's loop): report the time, receive the
    positions chosen after the call, send those values."""
    from kernelwright.sandbox.channel import dump_tensors

    send("timed", index=index, ms=ms, host_ms=host_ms, numels=[s.numel() for s in snap])
    pick, _ = recv()
    send("values", dump_tensors(checked_values(snap, pick["positions"])), index=index)
