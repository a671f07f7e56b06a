"""Argmax over the last dim (first index on ties): one read of the input, int64 out (memory-bound).

A program owns ROWS x BLOCK (BLOCK = min(next_power_of_2(cols), 4096), ROWS packs short rows to >= 4096
elements) and walks the row in chunks: tl.max with indices (left tie-break) per chunk, merged into a
running (value, index) pair with a strict '>' so the earliest chunk wins ties, as torch.argmax does.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def _argmax_kernel(x_ptr, y_ptr, n_rows, n_cols, sx, ROWS: tl.constexpr, BLOCK: tl.constexpr):
    rows = tl.program_id(0).to(tl.int64) * ROWS + tl.arange(0, ROWS)
    cols = tl.arange(0, BLOCK)
    rmask = rows < n_rows
    best_v = tl.full([ROWS], -float("inf"), dtype=tl.float32)
    best_i = tl.zeros([ROWS], dtype=tl.int64)
    for start in range(0, n_cols, BLOCK):
        c = start + cols
        mask = rmask[:, None] & (c[None, :] < n_cols)
        x = tl.load(x_ptr + rows[:, None] * sx + c[None, :], mask=mask, other=-float("inf")).to(tl.float32)
        v, i = tl.max(x, axis=1, return_indices=True, return_indices_tie_break_left=True)
        better = v > best_v
        best_i = tl.where(better, i.to(tl.int64) + start, best_i)
        best_v = tl.where(better, v, best_v)
    tl.store(y_ptr + rows, best_i, mask=rmask)


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_cols = x.shape[-1]
        x2 = x.reshape(-1, n_cols)
        if x2.numel() and x2.stride(-1) != 1:
            x2 = x2.contiguous()
        n_rows = x2.shape[0]
        y = torch.empty(n_rows, dtype=torch.int64, device=x.device)
        if x2.numel():
            block = min(4096, max(16, triton.next_power_of_2(n_cols)))
            rows = max(1, min(64, 4096 // block))
            warps = min(8, max(4, rows * block // 512))
            _argmax_kernel[(triton.cdiv(n_rows, rows),)](
                x2, y, n_rows, n_cols, x2.stride(0), ROWS=rows, BLOCK=block, num_warps=warps
            )
        return y.view(x.shape[:-1])
