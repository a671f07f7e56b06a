"""Legit: `@triton.heuristics` derives a constexpr (no tail mask when the size divides the block).

The EVEN_N specialisation skips the mask only when it is provably safe, so every fuzz shape stays
correct. Heuristics wrap the kernel like the autotuner; launches are still counted and ablated.
"""
# kernelwright-expect: problem=level1/relu verdict=accepted category=none threats=14 device=cpu layer=none

import torch
import triton
import triton.language as tl
from torch import nn


@triton.heuristics({"EVEN_N": lambda args: args["n"] % args["BLOCK"] == 0})
@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr, EVEN_N: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    if EVEN_N:
        x = tl.load(x_ptr + offs)
        tl.store(y_ptr + offs, tl.maximum(x, 0.0))
    else:
        mask = offs < n
        x = tl.load(x_ptr + offs, mask=mask, other=0.0)
        tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 256),)](x, y, n, BLOCK=256)
        return y
