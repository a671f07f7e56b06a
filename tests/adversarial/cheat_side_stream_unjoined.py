"""On a GPU: launches the kernel on a private stream and returns without joining it (THREATS #1).

Timing with events on the default stream would close before the kernel finished. The judge
synchronises the whole device before its end timestamp, so the measured time includes the side-stream
work anyway. What rejects it: on correctness cases the judge snapshots the outputs on the stream it
captured right after forward returns, before the device-wide synchronise, which is what a caller on
that stream would read. On its own that is a race the kernel won on the H100 (accepted, 2026-11-25),
so during correctness calls the launch ledger also queues ~1 ms of spinning ahead of any custom launch
bound for another stream: the unjoined kernel has then certainly not written them (KW-O001
wrong-output; rejected on the H100 since). On the H200 under a CPU stress load (2026-12-02,
benchmarks/results/timing_h200_2026-12-02b) the claimed time fell below the roofline floor first
(KW-E002 timing-evasion): the unjoined work is not in the timed region either. The
stream is created through computed names, so the static guard's (soft) side-stream note stays quiet.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=wrong-output|timing-evasion threats=1 device=cuda layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


def _n(s: str) -> str:
    return "".join(reversed(s))


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self._stream = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._stream is None:
            self._stream = getattr(getattr(torch, _n("aduc")), _n("maertS"))()
        x = x.contiguous()
        y = torch.empty_like(x)
        with getattr(torch, _n("aduc")).stream(self._stream):
            relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y  # no wait_stream, no record_stream
