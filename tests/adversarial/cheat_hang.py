"""Never returns from forward: an endless loop after launching the kernel (THREATS #19).

A harness without a timeout stalls forever. The RUNTIME catches it: the parent gives each forward a
deadline (call_timeout; 12 s in this corpus) and kills the worker's whole process group (KW-X001 crash-or-timeout); the
batch goes on.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=crash-or-timeout threats=19 device=cpu layer=runtime call-timeout=12

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
        y = _relu(x)
        spins = 0
        while True:
            spins += 1
        return y
