"""Legit: RMSNorm as two kernels per forward: per-row 1/rms into a scratch buffer, then the scale.

Several launches per forward, a scratch buffer allocated with torch.empty and fully written before
it is read: nothing uninitialised reaches the output.
"""
# kernelwright-expect: problem=level1/rmsnorm verdict=accepted category=none threats=6,10 device=cpu layer=none

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def row_rstd_kernel(x_ptr, r_ptr, n_cols, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + row * n_cols + offs, mask=offs < n_cols, other=0.0)
        acc += x * x
    tl.store(r_ptr + row, 1.0 / tl.sqrt(tl.sum(acc, axis=0) / n_cols + eps))


@triton.jit
def apply_kernel(x_ptr, w_ptr, r_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    col = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = col < n_cols
    x = tl.load(x_ptr + row * n_cols + col, mask=mask, other=0.0)
    w = tl.load(w_ptr + col, mask=mask, other=0.0)
    r = tl.load(r_ptr + row)
    tl.store(y_ptr + row * n_cols + col, w * (x * r), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, shape[-1]).contiguous()
        rows, cols = x2.shape
        rstd = torch.empty(rows, dtype=torch.float32, device=x.device)
        y = torch.empty_like(x2)
        block = min(1024, triton.next_power_of_2(cols))
        row_rstd_kernel[(rows,)](x2, rstd, cols, self.eps, BLOCK=block)
        apply_kernel[(rows, triton.cdiv(cols, block))](x2, weight.contiguous(), rstd, y, cols, BLOCK=block)
        return y.reshape(shape)
