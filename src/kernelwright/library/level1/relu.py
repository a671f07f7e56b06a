"""ReLU: one flat, vectorised pass (memory-bound: 4 bytes read + 4 written per element).

Grid-stride-free flat kernel over the contiguous input: BLOCK = 4096 fp32 per program (8 warps, so each
thread moves four 16-byte vectors), a bounds mask for the ragged tail, int64 offsets so tensors past 2^31
elements stay correct. Floor on an H100: 2 x numel x 4 B over ~3 TB/s.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def _relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        if n:
            block = 4096 if n >= 4096 else max(16, triton.next_power_of_2(n))
            _relu_kernel[(triton.cdiv(n, block),)](x, y, n, BLOCK=block, num_warps=8 if block >= 4096 else 4)
        return y
