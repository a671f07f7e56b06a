"""Legit: a two-kernel GELU (tanh) where the second kernel updates its own output in place.

Kernel 1 writes the tanh argument into the output buffer; kernel 2 reads x and that buffer and
overwrites it with the result. In-place writes are fine on the candidate's own buffers; only writes
into the inputs count as input mutation.
"""
# kernelwright-expect: problem=level1/gelu_tanh verdict=accepted category=none threats=9 device=cpu layer=none

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def inner_kernel(x_ptr, u_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(u_ptr + offs, 0.7978845608028654 * (x + 0.044715 * x * x * x), mask=mask)


@triton.jit
def finish_inplace_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    u = tl.load(y_ptr + offs, mask=mask, other=0.0)
    t = 1.0 - 2.0 / (tl.exp(2.0 * u) + 1.0)
    tl.store(y_ptr + offs, 0.5 * x * (1.0 + t), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        grid = (triton.cdiv(n, 1024),)
        inner_kernel[grid](x, y, n, BLOCK=1024)
        finish_inplace_kernel[grid](x, y, n, BLOCK=1024)
        return y
