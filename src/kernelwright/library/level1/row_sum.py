"""Row sum (last dim): one read of the input, fp32 accumulation (memory-bound).

A program owns ROWS x BLOCK (BLOCK = min(next_power_of_2(cols), 4096), ROWS packs short rows to >= 4096
elements) and walks the row in BLOCK-column chunks, accumulating lane-wise in fp32 registers and reducing
once at the end (a blocked tree: less rounding than a sequential sum). 8 warps a program, 16-byte loads.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def _row_sum_kernel(x_ptr, y_ptr, n_rows, n_cols, sx, ROWS: tl.constexpr, BLOCK: tl.constexpr):
    rows = tl.program_id(0).to(tl.int64) * ROWS + tl.arange(0, ROWS)
    cols = tl.arange(0, BLOCK)
    rmask = rows < n_rows
    acc = tl.zeros([ROWS, BLOCK], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK):
        c = start + cols
        mask = rmask[:, None] & (c[None, :] < n_cols)
        acc += tl.load(x_ptr + rows[:, None] * sx + c[None, :], mask=mask, other=0.0).to(tl.float32)
    tl.store(y_ptr + rows, tl.sum(acc, axis=1).to(y_ptr.dtype.element_ty), mask=rmask)


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_cols = x.shape[-1]
        x2 = x.reshape(-1, n_cols)
        if x2.numel() and x2.stride(-1) != 1:
            x2 = x2.contiguous()
        n_rows = x2.shape[0]
        y = torch.empty(n_rows, dtype=x.dtype, device=x.device)
        if x2.numel():
            block = min(4096, max(16, triton.next_power_of_2(n_cols)))
            rows = max(1, min(64, 4096 // block))
            warps = min(8, max(4, rows * block // 512))
            _row_sum_kernel[(triton.cdiv(n_rows, rows),)](
                x2, y, n_rows, n_cols, x2.stride(0), ROWS=rows, BLOCK=block, num_warps=warps
            )
        elif n_rows:
            y.zero_()
        return y.view(x.shape[:-1])
