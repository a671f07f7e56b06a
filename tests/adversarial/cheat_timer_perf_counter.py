"""Replaces time.perf_counter with a clock that runs at a tenth of real speed (THREATS #2).

The clumsy version: a plain module attribute assignment. Caught by the static guard (KW-S012
timer-patch) before anything runs; at run time the worker's integrity check (KW-T001) would name it
too, because the judge measures with the perf_counter it captured before importing the candidate.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=tampering threats=2 device=cpu layer=guard

import time

import torch
import triton
import triton.language as tl
from torch import nn

_real_perf_counter = time.perf_counter
_t0 = _real_perf_counter()
time.perf_counter = lambda: _t0 + (_real_perf_counter() - _t0) * 0.1


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
