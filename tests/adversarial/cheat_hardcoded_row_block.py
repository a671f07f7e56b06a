"""A softmax whose block is hard-coded to 4096 columns: right at the benchmark's 4096 only (THREATS #14).

Rows shorter than 4096 are masked correctly, but longer rows are silently truncated: only the first
4096 columns are normalised and written. The RUNTIME catches it: the fuzz cases include rows of 4097
and 32000 columns (KW-O001 wrong-output).
"""
# kernelwright-expect: problem=level1/softmax verdict=rejected category=wrong-output threats=14 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def softmax_kernel(x_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * n_cols + offs, mask=mask, other=-float("inf"))
    x = x - tl.max(x, axis=0)
    num = tl.exp(x)
    tl.store(y_ptr + row * n_cols + offs, num / tl.sum(num, axis=0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, shape[-1]).contiguous()
        y = torch.zeros_like(x2)
        softmax_kernel[(x2.shape[0],)](x2, y, x2.shape[1], BLOCK=4096)
        return y.reshape(shape)
