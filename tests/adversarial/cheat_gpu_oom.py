"""On a GPU: tries to allocate 2 TiB of device memory in forward (THREATS #19).

The RUNTIME catches it: torch raises an out-of-memory error, which the worker reports and the parent
classifies as a device crash (KW-X002 crash-or-timeout).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=crash-or-timeout threats=19 device=cuda layer=runtime

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


def _relu(x: torch.Tensor) -> torch.Tensor:
    x = x.contiguous()
    y = torch.empty_like(x)
    relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
    return y


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hog = torch.empty(1 << 41, dtype=torch.uint8, device=x.device)
        return _relu(x) + hog[:1].float() * 0
