"""A candidate whose forward kills its own process with a segmentation fault.

Stands in for a kernel that corrupts memory: the judge's parent process survives, reports
crash-or-timeout with the signal, and goes on with the next candidate.
"""

import faulthandler

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        faulthandler._sigsegv()  # a real SIGSEGV, as an out-of-bounds native write would cause
        return y
