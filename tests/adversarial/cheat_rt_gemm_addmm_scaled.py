"""The whole problem in one vendor GEMM call; a Triton copy kernel moves the answer (THREATS #6, #25).

`0.5 * (A @ B) + R` is exactly `torch.addmm(R, A, B, alpha=0.5)`. A vendor GEMM is allowed by the
default op policy (a GEMM with a custom epilogue is legitimate: legit_allow_tf32_epilogue), and the
copy kernel makes the ablation output change. But this GEMM *is* the epilogue: the op trace records
`addmm` as a product and an add, and its `alpha` as a multiply (worker/strict.py), which covers every
op the reference runs (mm, mul, add), so forward gets its answer from PyTorch (KW-P004). One step
weaker, a trace that ignores addmm's alpha/beta, accepts this file.
"""
# kernelwright-expect: problem=level2/matmul_scale_residual verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, alpha: float = 0.5) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, a: torch.Tensor, b: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        h = torch.addmm(residual, a, b, alpha=self.alpha).contiguous()
        y = torch.empty_like(h)
        copy_kernel[(triton.cdiv(h.numel(), 1024),)](h, y, h.numel(), BLOCK=1024)
        return y
