"""Computes the answer into a temporary, frees it and returns torch.empty_like (THREATS #10).

It bets on the caching allocator handing the freed block straight back, still holding the answer
(on a GPU that often works). The RUNTIME catches it: while candidate code runs, uninitialised memory
is filled with NaN (torch's fill_uninitialized_memory), so the returned tensor is garbage (KW-O001).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=wrong-output threats=10 device=cpu layer=runtime

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
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        tmp = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, tmp, x.numel(), BLOCK=1024)
        del tmp
        return torch.empty_like(x)
