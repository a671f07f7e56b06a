"""Accumulates into an output buffer it never initialised (THREATS #15, #10).

`y = torch.empty_like(x)` then the kernel does `y += relu(x)`: right only when the allocator hands
back zeroed memory, a classic "passes sometimes" bug. The RUNTIME catches it: uninitialised memory is
NaN-filled while candidate code runs, so every output is wrong (KW-O001 wrong-output).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=wrong-output threats=15,10 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def relu_accumulate_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    acc = tl.load(y_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, acc + tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        relu_accumulate_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
