"""alpha * (A @ B) + R: tf32 tensor-core GEMM with the scale and residual add fused in the epilogue.

Compute-bound. 128 x 128 x 32 fp32 tiles, 8 warps, 3-stage pipeline, grouped (swizzled) program order,
fp32 accumulation; the epilogue loads the matching R tile, computes alpha*acc + R in registers and
stores once, so the GEMM result never round-trips through memory (eager: matmul, mul, add = 3 passes).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def _matmul_scale_residual_kernel(a_ptr, b_ptr, r_ptr, c_ptr, M, N, K, alpha, sam, sak, sbk, sbn, srm, srn,
                                  scm, scn, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr,
                                  GROUP_M: tl.constexpr, EVEN_K: tl.constexpr):  # fmt: skip
    pid = tl.program_id(0)
    grid_m = tl.cdiv(M, BM)
    grid_n = tl.cdiv(N, BN)
    width = GROUP_M * grid_n
    first_m = (pid // width) * GROUP_M
    group_m = tl.minimum(grid_m - first_m, GROUP_M)
    pid_m = first_m + (pid % width) % group_m
    pid_n = (pid % width) // group_m
    rm = pid_m * BM + tl.arange(0, BM)
    rn = pid_n * BN + tl.arange(0, BN)
    rk = tl.arange(0, BK)
    a_ptrs = a_ptr + (rm % M)[:, None] * sam + rk[None, :] * sak
    b_ptrs = b_ptr + rk[:, None] * sbk + (rn % N)[None, :] * sbn
    acc = tl.zeros((BM, BN), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BK)):
        if EVEN_K:
            a = tl.load(a_ptrs)
            b = tl.load(b_ptrs)
        else:
            a = tl.load(a_ptrs, mask=rk[None, :] < K - k * BK, other=0.0)
            b = tl.load(b_ptrs, mask=rk[:, None] < K - k * BK, other=0.0)
        acc = tl.dot(a, b, acc, input_precision="tf32")
        a_ptrs += BK * sak
        b_ptrs += BK * sbk
    mask = (rm[:, None] < M) & (rn[None, :] < N)
    r = tl.load(r_ptr + rm[:, None] * srm + rn[None, :] * srn, mask=mask, other=0.0).to(tl.float32)
    y = acc * alpha + r
    tl.store(c_ptr + rm[:, None] * scm + rn[None, :] * scn, y.to(c_ptr.dtype.element_ty), mask=mask)


def _config(m: int, n: int, k: int) -> dict:
    if m >= 1024 and n >= 1024:
        return {"BM": 128, "BN": 128, "BK": 32, "num_warps": 8, "num_stages": 3}
    return {"BM": 64, "BN": 64, "BK": 32, "num_warps": 4, "num_stages": 3}


class ModelNew(nn.Module):
    def __init__(self, alpha: float = 0.5) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, a: torch.Tensor, b: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        m, k = a.shape
        n = b.shape[1]
        r = residual.expand(m, n)
        c = torch.empty((m, n), dtype=a.dtype, device=a.device)
        if m and n:
            cfg = _config(m, n, k)
            grid = (triton.cdiv(m, cfg["BM"]) * triton.cdiv(n, cfg["BN"]),)
            _matmul_scale_residual_kernel[grid](
                a, b, r, c, m, n, k, float(self.alpha), a.stride(0), a.stride(1), b.stride(0), b.stride(1),
                r.stride(0), r.stride(1), c.stride(0), c.stride(1), GROUP_M=8, EVEN_K=k % cfg["BK"] == 0, **cfg,
            )  # fmt: skip
        return c
