"""Legit: an online (one-pass) softmax: running max and rescaled running sum over column blocks.

The first loop keeps a running maximum and rescales the running sum whenever the maximum grows (the
FlashAttention-style "online softmax"), so rows of any length need only one read for the statistics
and one for the output. Correct for rows of 3 to 32000 columns and for the +100 offset case.
"""
# kernelwright-expect: problem=level1/softmax verdict=accepted category=none threats=14 device=cpu layer=none

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def online_softmax_kernel(x_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    base = x_ptr + row * n_cols
    m = tl.full([BLOCK], -float("inf"), tl.float32)
    s = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        x = tl.load(base + offs, mask=offs < n_cols, other=-float("inf"))
        m_new = tl.maximum(m, x)
        # lanes that have seen nothing yet keep -inf; avoid inf - inf
        scale = tl.where(m_new == -float("inf"), 0.0, tl.exp(m - m_new))
        s = s * scale + tl.where(x == -float("inf"), 0.0, tl.exp(x - m_new))
        m = m_new
    row_max = tl.max(m, axis=0)
    total = tl.sum(tl.where(m == -float("inf"), 0.0, s * tl.exp(m - row_max)), axis=0)
    for start in range(0, n_cols, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        mask = offs < n_cols
        x = tl.load(base + offs, mask=mask, other=-float("inf"))
        tl.store(y_ptr + row * n_cols + offs, tl.exp(x - row_max) / total, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, shape[-1]).contiguous()
        y = torch.empty_like(x2)
        block = min(1024, triton.next_power_of_2(x2.shape[1]))
        online_softmax_kernel[(x2.shape[0],)](x2, y, x2.shape[1], BLOCK=block)
        return y.reshape(shape)
