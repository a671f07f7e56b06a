"""Legit: the vendor GEMM with its own bias (`F.linear` -> `addmm`), and the GELU in a Triton kernel.

THREATS: "calling a vendor GEMM with a custom fused epilogue is legitimate". The default op policy
allows products (mm, addmm, bmm, convolution: worker/op_classes.py PRODUCT) as long as they do not
cover every op the reference runs: here the reference runs addmm and gelu, and the GELU is left to the
kernel, whose skipped launch (the ablation) changes the output. The look-alike of
cheat_rt_gemm_addmm_scaled, where the GEMM call is the whole problem.
"""
# kernelwright-expect: problem=level2/linear_bias_gelu verdict=accepted category=none threats=6,25 device=cpu layer=none

import torch
import torch.nn.functional as F
import triton
import triton.language as tl
from torch import nn


@triton.jit
def gelu_kernel(h_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    v = tl.load(h_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, 0.5 * v * (1.0 + tl.erf(v * 0.7071067811865476)), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        h = F.linear(x, weight, bias).contiguous()
        y = torch.empty_like(h)
        gelu_kernel[(triton.cdiv(h.numel(), 1024),)](h, y, h.numel(), BLOCK=1024)
        return y
