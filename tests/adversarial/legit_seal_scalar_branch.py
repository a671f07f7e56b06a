"""Legit: forward copies its input with PyTorch and reads a scalar from it before its kernel.

The seal (worker/seal.py) hides input bytes outside kernels and PyTorch ops on the CPU. A forward that
clones its input (a free op), reads one element with `.item()` and hands the clone and that scalar to
its kernel must still see the true values: those are ops and a launch, and the seal is open while they
run. The look-alike of cheat_rt_seal_clone_then_numpy that stays inside the rules.
"""
# kernelwright-expect: problem=level1/relu verdict=accepted category=none threats=6,25 device=cpu layer=none

import math

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, floor, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.maximum(x, floor), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.clone().contiguous()
        first = x.reshape(-1)[0].item()
        if math.isnan(first):
            raise ValueError("the input reads as NaN")
        floor = first * 0.0  # a scalar from the data, used by the kernel
        y = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 1024),)](x, y, n, floor, BLOCK=1024)
        return y
