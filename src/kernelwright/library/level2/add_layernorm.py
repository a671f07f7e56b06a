"""Residual add + LayerNorm fused: x and residual read once, the sum never touches memory (memory-bound).

Rows up to 32768 columns are register-resident: a program owns ROWS x BLOCK (BLOCK =
next_power_of_2(cols), ROWS packs short rows to >= 4096 elements, num_warps scaled with the tile); h = x +
residual, mean and variance of h in fp32 from the centred row, affine fused into the store: 3 tensors of
traffic instead of eager's 5. Longer rows take a looped three-pass kernel that recomputes the sum.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import nn

_MAX_FUSED = 32768
_CHUNK = 4096


@triton.jit
def _add_layernorm_rows_kernel(
    x_ptr,
    r_ptr,
    w_ptr,
    b_ptr,
    y_ptr,
    n_rows,
    n_cols,
    sx,
    sr,
    sy,
    eps,
    ROWS: tl.constexpr,
    BLOCK: tl.constexpr,
):
    rows = tl.program_id(0).to(tl.int64) * ROWS + tl.arange(0, ROWS)
    cols = tl.arange(0, BLOCK)
    cmask = cols < n_cols
    mask = (rows[:, None] < n_rows) & cmask[None, :]
    x = tl.load(x_ptr + rows[:, None] * sx + cols[None, :], mask=mask, other=0.0).to(tl.float32)
    r = tl.load(r_ptr + rows[:, None] * sr + cols[None, :], mask=mask, other=0.0).to(tl.float32)
    h = x + r
    mean = tl.sum(h, axis=1) / n_cols
    d = tl.where(mask, h - mean[:, None], 0.0)
    rstd = 1.0 / tl.sqrt(tl.sum(d * d, axis=1) / n_cols + eps)
    w = tl.load(w_ptr + cols, mask=cmask, other=0.0).to(tl.float32)
    b = tl.load(b_ptr + cols, mask=cmask, other=0.0).to(tl.float32)
    y = d * rstd[:, None] * w[None, :] + b[None, :]
    tl.store(y_ptr + rows[:, None] * sy + cols[None, :], y.to(y_ptr.dtype.element_ty), mask=mask)


@triton.jit
def _add_layernorm_looped_kernel(
    x_ptr, r_ptr, w_ptr, b_ptr, y_ptr, n_cols, sx, sr, sy, eps, BLOCK: tl.constexpr
):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK):
        c = start + cols
        m = c < n_cols
        acc += tl.load(x_ptr + row * sx + c, mask=m, other=0.0).to(tl.float32)
        acc += tl.load(r_ptr + row * sr + c, mask=m, other=0.0).to(tl.float32)
    mean = tl.sum(acc, axis=0) / n_cols
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK):
        c = start + cols
        m = c < n_cols
        h = tl.load(x_ptr + row * sx + c, mask=m, other=0.0).to(tl.float32)
        h += tl.load(r_ptr + row * sr + c, mask=m, other=0.0).to(tl.float32)
        d = tl.where(m, h - mean, 0.0)
        acc += d * d
    rstd = 1.0 / tl.sqrt(tl.sum(acc, axis=0) / n_cols + eps)
    for start in range(0, n_cols, BLOCK):
        c = start + cols
        m = c < n_cols
        h = tl.load(x_ptr + row * sx + c, mask=m, other=0.0).to(tl.float32)
        h += tl.load(r_ptr + row * sr + c, mask=m, other=0.0).to(tl.float32)
        w = tl.load(w_ptr + c, mask=m, other=0.0).to(tl.float32)
        b = tl.load(b_ptr + c, mask=m, other=0.0).to(tl.float32)
        tl.store(y_ptr + row * sy + c, ((h - mean) * rstd * w + b).to(y_ptr.dtype.element_ty), mask=m)


def _row_tile(n_cols: int) -> tuple[int, int, int]:
    """(ROWS, BLOCK, num_warps) for a register-resident row tile."""
    block = max(16, triton.next_power_of_2(n_cols))
    rows = max(1, min(64, 4096 // block))
    warps = min(16, max(4, rows * block // 512))
    return rows, block, warps


def _rows_view(t: torch.Tensor, n_cols: int) -> torch.Tensor:
    t2 = t.reshape(-1, n_cols)
    return t2.contiguous() if t2.numel() and t2.stride(-1) != 1 else t2


class ModelNew(nn.Module):
    def __init__(self, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps

    def forward(
        self, x: torch.Tensor, residual: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor
    ) -> torch.Tensor:
        n_cols = x.shape[-1]
        x2, r2 = _rows_view(x, n_cols), _rows_view(residual, n_cols)
        n_rows = x2.shape[0]
        w, b = weight.contiguous(), bias.contiguous()
        y = torch.empty((n_rows, n_cols), dtype=x.dtype, device=x.device)
        if x2.numel() == 0:
            return y.view(x.shape)
        if n_cols <= _MAX_FUSED:
            rows, block, warps = _row_tile(n_cols)
            _add_layernorm_rows_kernel[(triton.cdiv(n_rows, rows),)](
                x2,
                r2,
                w,
                b,
                y,
                n_rows,
                n_cols,
                x2.stride(0),
                r2.stride(0),
                y.stride(0),
                self.eps,
                ROWS=rows,
                BLOCK=block,
                num_warps=warps,
            )
        else:
            _add_layernorm_looped_kernel[(n_rows,)](
                x2,
                r2,
                w,
                b,
                y,
                n_cols,
                x2.stride(0),
                r2.stride(0),
                y.stride(0),
                self.eps,
                BLOCK=_CHUNK,
                num_warps=8,
            )
        return y.view(x.shape)
