"""alpha * (A @ B) + R: tf32 tensor-core GEMM with the scale and residual add fused in the epilogue.

Compute-bound. 128 x 256 x 32 fp32 tiles, 8 warps, 3-stage pipeline, B made K-major first (see
_k_major), grouped (swizzled) program order, fp32 accumulation; the epilogue loads the matching R tile, computes alpha*acc + R in registers and
stores once, so the GEMM result never round-trips through memory (eager: matmul, mul, add = 3 passes).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def _matmul_scale_residual_kernel(
    a_ptr,
    b_ptr,
    r_ptr,
    c_ptr,
    M,
    N,
    K,
    alpha,
    sam,
    sak,
    sbk,
    sbn,
    srm,
    srn,
    scm,
    scn,
    BM: tl.constexpr,
    BN: tl.constexpr,
    BK: tl.constexpr,
    GROUP_M: tl.constexpr,
    EVEN_K: tl.constexpr,
):
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


@triton.jit
def _transpose_kernel(x_ptr, y_ptr, M, N, sxm, sxn, sym, BM: tl.constexpr, BN: tl.constexpr):
    # y[n, m] = x[m, n], one 64 x 64 tile a program; both sides coalesced (tl.trans goes through shared memory).
    rm = tl.program_id(0).to(tl.int64) * BM + tl.arange(0, BM)
    rn = tl.program_id(1).to(tl.int64) * BN + tl.arange(0, BN)
    tile = tl.load(x_ptr + rm[:, None] * sxm + rn[None, :] * sxn, mask=(rm[:, None] < M) & (rn[None, :] < N))
    tl.store(
        y_ptr + rn[:, None] * sym + rm[None, :], tl.trans(tile), mask=(rn[:, None] < N) & (rm[None, :] < M)
    )


# Hopper's tf32 wgmma reads both operands K-major from shared memory. A row-major B ([K, N], N
# contiguous) is N-major, and Triton 3.6 then falls back to a far slower path: measured on an H100 at
# 4096^3, 1.63 ms (84 TFLOP/s) as is, against ~0.6 ms after one transpose of B into [N, K] (the copy
# itself ~45 us). So B is transposed first when it is large enough for the copy to pay.
_KMAJOR_MIN_ELEMENTS = 1 << 16


def _k_major(b: torch.Tensor) -> tuple[torch.Tensor, int, int]:
    """(tensor, stride along K, stride along N) of B laid out K-major, transposing it if needed."""
    k, n = b.shape
    if b.stride(0) == 1 or k * n < _KMAJOR_MIN_ELEMENTS:
        return b, b.stride(0), b.stride(1)
    bt = torch.empty((n, k), dtype=b.dtype, device=b.device)
    _transpose_kernel[(triton.cdiv(k, 64), triton.cdiv(n, 64))](
        b, bt, k, n, b.stride(0), b.stride(1), bt.stride(0), BM=64, BN=64, num_warps=4
    )
    return bt, 1, bt.stride(0)


def _config(m: int, n: int, k: int) -> dict:
    if m >= 1024 and n >= 1024:
        # benchmarks/tune_library.py on an H100 (2026-11-25), 8 tilings: 128 x 256 x 32 was fastest,
        # 290 TFLOP/s at 4096^3 against 245 for 128 x 128 x 32.
        return {"BM": 128, "BN": 256, "BK": 32, "num_warps": 8, "num_stages": 3}
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
            bk, sbk, sbn = _k_major(b)
            _matmul_scale_residual_kernel[grid](
                a,
                bk,
                r,
                c,
                m,
                n,
                k,
                float(self.alpha),
                a.stride(0),
                a.stride(1),
                sbk,
                sbn,
                r.stride(0),
                r.stride(1),
                c.stride(0),
                c.stride(1),
                GROUP_M=8,
                EVEN_K=k % cfg["BK"] == 0,
                **cfg,
            )
        return c
