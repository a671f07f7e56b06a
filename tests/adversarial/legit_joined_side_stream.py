"""Legit: runs the kernel on a second CUDA stream and joins it back before returning.

The side stream waits for the current stream (inputs ready), the current stream waits for the side
stream (output ready), and the output is recorded on the side stream for the allocator. On the CPU
there are no streams, so the same code path runs without one. THREATS "legitimate patterns": a second
stream that is joined back. (The static guard may note the side stream, softly.)
"""
# kernelwright-expect: problem=level1/gelu_tanh verdict=accepted category=none threats=1 device=cpu layer=none

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def gelu_tanh_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    u = 0.7978845608028654 * (x + 0.044715 * x * x * x)
    t = 1.0 - 2.0 / (tl.exp(2.0 * u) + 1.0)
    tl.store(y_ptr + offs, 0.5 * x * (1.0 + t), mask=mask)


def _launch(x: torch.Tensor, y: torch.Tensor) -> None:
    gelu_tanh_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self._side = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        if x.is_cuda:
            if self._side is None:
                self._side = torch.cuda.Stream(device=x.device)
            main = torch.cuda.current_stream(x.device)
            self._side.wait_stream(main)
            with torch.cuda.stream(self._side):
                _launch(x, y)
            main.wait_stream(self._side)
            y.record_stream(self._side)
        else:
            _launch(x, y)
        return y
