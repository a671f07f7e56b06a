"""Looks up the call stack for a timing function and cheats only when being timed (THREATS #5).

The clumsy version with `inspect.stack()`, caught by the static guard (KW-S020 frame-introspection).
At run time the audit hook blocks sys._getframe for candidate code (KW-R105 sandbox).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=sandbox threats=5 device=cpu layer=guard

import inspect

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
        names = [f.function for f in inspect.stack()]
        if any("time" in n or "bench" in n for n in names):
            return torch.zeros_like(x)
        return _relu(x)
