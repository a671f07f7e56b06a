"""Smoke candidate for level1/softmax (and softmax_bf16): a minimal, correct Triton softmax.

One program per row; the whole row is one power-of-two BLOCK with masked lanes loaded as -inf. Math in
fp32 (max-subtracted), stored in the input dtype. Works on CUDA and under TRITON_INTERPRET=1 on CPU.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def _softmax_kernel(x_ptr, y_ptr, n_cols, x_row_stride, y_row_stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=mask, other=-float("inf")).to(tl.float32)
    x = x - tl.max(x, axis=0)
    num = tl.exp(x)
    y = num / tl.sum(num, axis=0)
    tl.store(y_ptr + row * y_row_stride + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_cols = x.shape[-1]
        x2 = x.reshape(-1, n_cols).contiguous()
        y = torch.empty_like(x2)
        block = triton.next_power_of_2(n_cols)
        assert block <= 65536, "this smoke kernel keeps a whole row in one block"
        num_warps = 4 if block <= 2048 else 8 if block <= 8192 else 16
        if x2.numel():
            _softmax_kernel[(x2.shape[0],)](
                x2, y, n_cols, x2.stride(0), y.stride(0), BLOCK=block, num_warps=num_warps
            )
        return y.view(x.shape)
