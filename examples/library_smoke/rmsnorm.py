"""Smoke candidate for level1/rmsnorm (and rmsnorm_bf16): a minimal, correct Triton RMSNorm.

One program per row; the row is one power-of-two BLOCK with a bounds mask. The mean of squares and the
normalisation are in fp32; like the Llama reference, the normalised row is rounded to the input dtype
before the weight multiplies it. Works on CUDA and under TRITON_INTERPRET=1 on CPU tensors.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def _rmsnorm_kernel(x_ptr, w_ptr, y_ptr, n_cols, x_row_stride, y_row_stride, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=mask, other=0.0).to(tl.float32)
    mean_sq = tl.sum(x * x, axis=0) / n_cols
    normed = (x * (1.0 / tl.sqrt(mean_sq + eps))).to(y_ptr.dtype.element_ty)
    w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    y = w * normed.to(tl.float32)
    tl.store(y_ptr + row * y_row_stride + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        n_cols = x.shape[-1]
        x2 = x.reshape(-1, n_cols).contiguous()
        y = torch.empty_like(x2)
        block = triton.next_power_of_2(n_cols)
        assert block <= 65536, "this smoke kernel keeps a whole row in one block"
        num_warps = 4 if block <= 2048 else 8 if block <= 8192 else 16
        if x2.numel():
            _rmsnorm_kernel[(x2.shape[0],)](
                x2,
                weight.contiguous(),
                y,
                n_cols,
                x2.stride(0),
                y.stride(0),
                self.eps,
                BLOCK=block,
                num_warps=num_warps,
            )
        return y.view(x.shape)
