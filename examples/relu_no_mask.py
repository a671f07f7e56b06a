"""A Triton ReLU that is right only at the benchmark shape (THREATS #14).

It has no bounds mask and launches n // BLOCK programs, so it is exact when the element count is a
multiple of 1024 (the benchmark's 8192 x 4096 is) and leaves the tail unwritten otherwise. The fuzz
cases (ragged, tiny, non-power-of-two shapes) reject it as wrong-output.
"""

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def relu_kernel(x_ptr, y_ptr, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs), 0.0))


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        grid = (max(1, x.numel() // 1024),)
        relu_kernel[grid](x, y, BLOCK=1024)
        return y
