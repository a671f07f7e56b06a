"""Legit: a single-block softmax whose masked loads fill with -inf (`other=-float("inf")`).

Filling masked lanes with -inf (not 0) keeps them out of the row maximum and makes their exp() zero;
an odd-looking constant that a careless rule might flag. Each row is one program with a power-of-two
block covering the row; rank-3 inputs are flattened to rows.
"""
# kernelwright-expect: problem=level1/softmax verdict=accepted category=none threats=14 device=cpu layer=none

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def softmax_row_kernel(x_ptr, y_ptr, n_cols, x_stride, y_stride, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * x_stride + offs, mask=mask, other=-float("inf"))
    z = x - tl.max(x, axis=0)
    num = tl.exp(z)
    tl.store(y_ptr + row * y_stride + offs, num / tl.sum(num, axis=0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, shape[-1])
        if x2.stride(-1) != 1:
            x2 = x2.contiguous()
        y = torch.empty(x2.shape, dtype=x.dtype, device=x.device)
        softmax_row_kernel[(x2.shape[0],)](x2, y, x2.shape[1], x2.stride(0), y.stride(0),
                                           BLOCK=triton.next_power_of_2(x2.shape[1]))
        return y.reshape(shape)
