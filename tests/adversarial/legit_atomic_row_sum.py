"""Legit: a split-row sum where several programs accumulate into each output with tl.atomic_add.

The order of the atomic additions varies between runs, so results differ in the last bits: it looks
like the racy kernel of THREATS #15, but the differences stay far inside the tolerance, and the output
is zero-initialised (torch.zeros) before accumulation, so the repeat check agrees.
"""
# kernelwright-expect: problem=level1/row_sum verdict=accepted category=none threats=15 device=cpu layer=none

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def partial_sum_kernel(x_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    chunk = tl.program_id(1)
    offs = chunk * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * n_cols + offs, mask=offs < n_cols, other=0.0)
    tl.atomic_add(y_ptr + row, tl.sum(x, axis=0))


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lead, cols = tuple(x.shape[:-1]), x.shape[-1]
        x2 = x.reshape(-1, cols).contiguous()
        y = torch.zeros(x2.shape[0], dtype=x.dtype, device=x.device)
        block = min(512, triton.next_power_of_2(cols))
        partial_sum_kernel[(x2.shape[0], triton.cdiv(cols, block))](x2, y, cols, BLOCK=block)
        return y.reshape(lead)
