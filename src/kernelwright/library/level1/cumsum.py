"""Inclusive prefix sum over the last dim: one read, one write (memory-bound).

A program owns ROWS x BLOCK (BLOCK = min(next_power_of_2(cols), 4096), ROWS packs short rows to >= 4096
elements) and scans the row chunk by chunk with tl.cumsum (a work-efficient tree scan in registers and
shared memory), carrying each row's running total into the next chunk in fp32. Rows up to 4096 columns
(the benchmark) are a single chunk: exactly one pass over memory.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def _cumsum_kernel(
    x_ptr, y_ptr, n_rows, n_cols, sx, sy, ROWS: tl.constexpr, BLOCK: tl.constexpr, ONE_CHUNK: tl.constexpr
):
    rows = tl.program_id(0).to(tl.int64) * ROWS + tl.arange(0, ROWS)
    cols = tl.arange(0, BLOCK)
    rmask = rows < n_rows
    if ONE_CHUNK:  # the whole row in one block (the benchmark's 4096 columns): one pass, no carry
        mask = rmask[:, None] & (cols[None, :] < n_cols)
        x = tl.load(x_ptr + rows[:, None] * sx + cols[None, :], mask=mask, other=0.0).to(tl.float32)
        tl.store(
            y_ptr + rows[:, None] * sy + cols[None, :],
            tl.cumsum(x, axis=1).to(y_ptr.dtype.element_ty),
            mask=mask,
        )
    else:
        carry = tl.zeros([ROWS], dtype=tl.float32)
        for start in range(0, n_cols, BLOCK):
            c = start + cols
            mask = rmask[:, None] & (c[None, :] < n_cols)
            x = tl.load(x_ptr + rows[:, None] * sx + c[None, :], mask=mask, other=0.0).to(tl.float32)
            y = tl.cumsum(x, axis=1) + carry[:, None]
            tl.store(y_ptr + rows[:, None] * sy + c[None, :], y.to(y_ptr.dtype.element_ty), mask=mask)
            # The next chunk's carry is this chunk's last scanned value. Written as `carry +=
            # tl.sum(x, 1)`, Triton 3.6's TritonGPUOptimizeThreadLocality pass crashes on the H100.
            carry = tl.sum(tl.where(cols[None, :] == BLOCK - 1, y, 0.0), axis=1)


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_cols = x.shape[-1]
        x2 = x.reshape(-1, n_cols)
        if x2.numel() and x2.stride(-1) != 1:
            x2 = x2.contiguous()
        n_rows = x2.shape[0]
        y = torch.empty((n_rows, n_cols), dtype=x.dtype, device=x.device)
        if x2.numel():
            block = min(4096, max(16, triton.next_power_of_2(n_cols)))
            rows = max(1, min(64, 4096 // block))
            warps = min(8, max(4, rows * block // 512))
            _cumsum_kernel[(triton.cdiv(n_rows, rows),)](
                x2,
                y,
                n_rows,
                n_cols,
                x2.stride(0),
                y.stride(0),
                ROWS=rows,
                BLOCK=block,
                ONE_CHUNK=n_cols <= block,
                num_warps=warps,
            )
        return y.view(x.shape)
