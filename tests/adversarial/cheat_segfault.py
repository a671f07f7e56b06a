"""Crashes the worker with a segmentation fault in forward (THREATS #19).

Stands in for a native crash (a bad pointer in an extension, a Triton kernel gone wrong on the CPU
interpreter). The RUNTIME catches it: the parent sees the worker killed by SIGSEGV and reports
KW-X001 crash-or-timeout; the judge itself survives.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=crash-or-timeout threats=19 device=cpu layer=runtime

import faulthandler

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
        faulthandler._sigsegv()
        return y
