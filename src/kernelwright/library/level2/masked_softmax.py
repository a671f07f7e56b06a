"""Key-padding masked softmax: scores read once, probabilities written once (memory-bound).

The [B, Sk] boolean mask is read as bytes (a free uint8 view) and broadcast inside the kernel: row r of
the flattened [B*H*Sq, Sk] scores uses mask row r // (H*Sq), so no [B, H, Sq, Sk] mask or filled copy is
ever built (eager writes two full-size temporaries). Tile: ROWS x BLOCK (BLOCK = next_power_of_2(Sk),
ROWS packs short rows to >= 4096 elements), fp32 max-subtracted exp; a looped kernel for Sk > 32768.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import nn

_MAX_FUSED = 32768
_CHUNK = 4096


@triton.jit
def _masked_softmax_rows_kernel(
    x_ptr, k_ptr, y_ptr, n_rows, n_cols, rows_per_batch, sx, sk, sy, ROWS: tl.constexpr, BLOCK: tl.constexpr
):
    rows = tl.program_id(0).to(tl.int64) * ROWS + tl.arange(0, ROWS)
    cols = tl.arange(0, BLOCK)
    mask = (rows[:, None] < n_rows) & (cols[None, :] < n_cols)
    batch = rows // rows_per_batch
    keep = tl.load(k_ptr + batch[:, None] * sk + cols[None, :], mask=mask, other=0) != 0
    x = tl.load(x_ptr + rows[:, None] * sx + cols[None, :], mask=mask, other=0.0).to(tl.float32)
    x = tl.where(keep, x, -float("inf"))
    m = tl.max(x, axis=1)
    e = tl.exp(x - m[:, None])
    y = e / tl.sum(e, axis=1)[:, None]
    tl.store(y_ptr + rows[:, None] * sy + cols[None, :], y.to(y_ptr.dtype.element_ty), mask=mask)


@triton.jit
def _masked_softmax_looped_kernel(
    x_ptr, k_ptr, y_ptr, n_cols, rows_per_batch, sx, sk, sy, BLOCK: tl.constexpr
):
    row = tl.program_id(0).to(tl.int64)
    batch = row // rows_per_batch
    cols = tl.arange(0, BLOCK)
    m = -float("inf")
    s = 0.0
    for start in range(0, n_cols, BLOCK):
        c = start + cols
        keep = tl.load(k_ptr + batch * sk + c, mask=c < n_cols, other=0) != 0
        x = tl.load(x_ptr + row * sx + c, mask=c < n_cols, other=0.0).to(tl.float32)
        x = tl.where(keep, x, -float("inf"))
        m_new = tl.maximum(m, tl.max(x, axis=0))
        m_safe = tl.where(m_new == -float("inf"), 0.0, m_new)
        s = s * tl.exp(m - m_safe) + tl.sum(tl.exp(x - m_safe), axis=0)
        m = m_new
    inv = 1.0 / s
    for start in range(0, n_cols, BLOCK):
        c = start + cols
        keep = tl.load(k_ptr + batch * sk + c, mask=c < n_cols, other=0) != 0
        x = tl.load(x_ptr + row * sx + c, mask=c < n_cols, other=0.0).to(tl.float32)
        x = tl.where(keep, x, -float("inf"))
        tl.store(y_ptr + row * sy + c, (tl.exp(x - m) * inv).to(y_ptr.dtype.element_ty), mask=c < n_cols)


def _row_tile(n_cols: int) -> tuple[int, int, int]:
    """(ROWS, BLOCK, num_warps) for a register-resident row tile."""
    block = max(16, triton.next_power_of_2(n_cols))
    rows = max(1, min(64, 4096 // block))
    warps = min(16, max(4, rows * block // 512))
    return rows, block, warps


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, h, sq, sk = scores.shape
        x = scores.reshape(-1, sk)
        if x.numel() and x.stride(-1) != 1:
            x = x.contiguous()
        keep = mask.contiguous().view(torch.uint8)
        n_rows = x.shape[0]
        y = torch.empty((n_rows, sk), dtype=scores.dtype, device=scores.device)
        if x.numel():
            if sk <= _MAX_FUSED:
                rows, block, warps = _row_tile(sk)
                _masked_softmax_rows_kernel[(triton.cdiv(n_rows, rows),)](
                    x,
                    keep,
                    y,
                    n_rows,
                    sk,
                    h * sq,
                    x.stride(0),
                    keep.stride(0),
                    y.stride(0),
                    ROWS=rows,
                    BLOCK=block,
                    num_warps=warps,
                )
            else:
                _masked_softmax_looped_kernel[(n_rows,)](
                    x,
                    keep,
                    y,
                    sk,
                    h * sq,
                    x.stride(0),
                    keep.stride(0),
                    y.stride(0),
                    BLOCK=_CHUNK,
                    num_warps=8,
                )
        return y.view(scores.shape)
