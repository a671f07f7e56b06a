"""Legit: `functools.lru_cache` memoises the block size and grid for each shape.

A memoised function keyed by shapes, like an output cache, but it returns launch geometry only; the
LayerNorm kernel runs on every call.
"""
# kernelwright-expect: problem=level1/layernorm verdict=accepted category=none threats=4 device=cpu layer=none

import functools

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def layernorm_kernel(x_ptr, w_ptr, b_ptr, y_ptr, n_cols, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * n_cols + offs, mask=mask, other=0.0)
    mean = tl.sum(x, axis=0) / n_cols
    d = tl.where(mask, x - mean, 0.0)
    var = tl.sum(d * d, axis=0) / n_cols
    w = tl.load(w_ptr + offs, mask=mask, other=0.0)
    b = tl.load(b_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + row * n_cols + offs, d / tl.sqrt(var + eps) * w + b, mask=mask)


@functools.lru_cache(maxsize=64)
def _geometry(rows: int, cols: int) -> tuple[tuple[int], int]:
    return (rows,), triton.next_power_of_2(cols)


class ModelNew(nn.Module):
    def __init__(self, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, shape[-1]).contiguous()
        y = torch.empty_like(x2)
        grid, block = _geometry(*x2.shape)
        layernorm_kernel[grid](x2, weight, bias, y, x2.shape[1], self.eps, BLOCK=block)
        return y.reshape(shape)
