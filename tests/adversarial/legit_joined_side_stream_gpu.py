"""Legit, on a GPU: splits the work across two streams and joins both back before returning.

The first half of the elements is computed on the current stream, the second half on a side stream
that first waits for the current one; the current stream then waits for the side stream. Everything
is ordered before forward returns, so the judge's checks and timing hold. THREATS "legitimate
patterns": a second stream that is joined back.
"""
# kernelwright-expect: problem=level1/relu verdict=accepted category=none threats=1 device=cuda layer=none

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self._side = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x = x.contiguous().reshape(-1)
        y = torch.empty_like(x)
        n = x.numel()
        half = n // 2
        if self._side is None:
            self._side = torch.cuda.Stream(device=x.device)
        main = torch.cuda.current_stream(x.device)
        if half:
            relu_kernel[(triton.cdiv(half, 1024),)](x, y, half, BLOCK=1024)
        self._side.wait_stream(main)
        with torch.cuda.stream(self._side):
            rest = n - half
            relu_kernel[(triton.cdiv(rest, 1024),)](x[half:], y[half:], rest, BLOCK=1024)
        main.wait_stream(self._side)
        y.record_stream(self._side)
        return y.reshape(shape)
