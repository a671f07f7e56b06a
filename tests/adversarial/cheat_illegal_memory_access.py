"""On a GPU: a Triton kernel writes far outside its output buffer (THREATS #19).

The store offset is shifted by 2^40 elements, an address no allocation covers, so the GPU raises an
illegal memory access, which poisons the CUDA context. The RUNTIME catches it: the error surfaces at
the next synchronisation and is reported as a device crash (KW-X002), or the worker dies (KW-X001);
either way crash-or-timeout, and the judge survives.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=crash-or-timeout threats=19 device=cuda layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def wild_store_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    far = offs.to(tl.int64) + (1 << 40)
    tl.store(y_ptr + far, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        wild_store_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
