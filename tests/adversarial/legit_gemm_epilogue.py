"""Legit: a vendor GEMM (F.linear without bias) followed by a fused Triton bias + GELU epilogue.

Calling cuBLAS for the matmul is not passthrough when the custom kernel does the rest of the work:
skipping the epilogue launch (the ablation run) leaves the output unwritten, so the judge can see
the kernel matters. THREATS "legitimate patterns": a vendor GEMM with a custom fused epilogue.
"""
# kernelwright-expect: problem=level2/linear_bias_gelu verdict=accepted category=none threats=6 device=cpu layer=none

import torch.nn.functional as F

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def bias_gelu_rows_kernel(h_ptr, b_ptr, y_ptr, n_cols, BLOCK_N: tl.constexpr):
    row = tl.program_id(0)
    col = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    mask = col < n_cols
    z = tl.load(h_ptr + row * n_cols + col, mask=mask, other=0.0) + tl.load(b_ptr + col, mask=mask, other=0.0)
    tl.store(y_ptr + row * n_cols + col, 0.5 * z * (1.0 + tl.math.erf(z * 0.7071067811865476)), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        h = F.linear(x, weight).contiguous()
        y = torch.empty_like(h)
        n_rows, n_cols = h.shape
        block = min(1024, triton.next_power_of_2(n_cols))
        bias_gelu_rows_kernel[(n_rows, triton.cdiv(n_cols, block))](h, bias, y, n_cols, BLOCK_N=block)
        return y
