"""silu(x @ Wg^T) * (x @ Wu^T) in bf16: one dual-accumulator GEMM with the SwiGLU fused in the epilogue.

Compute-bound (2 GEMMs sharing x). Each program loads one x tile per K-step and the matching Wg and Wu
tiles (both in the K-contiguous nn.Linear layout) into two 128 x 128 fp32 accumulators: 128 accumulator
registers a thread on 8 warps; BK = 64, 3 stages (144 KB of shared memory), grouped order.
The epilogue rounds each projection to bf16 (as F.linear in bf16 does), applies silu(g) * u in fp32 and
stores once: neither projection reaches memory (eager writes and re-reads both). CPU interpreter:
operands widened to fp32 first (see matmul_bf16).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def _swiglu_kernel(
    x_ptr,
    wg_ptr,
    wu_ptr,
    c_ptr,
    M,
    N,
    K,
    sxm,
    sxk,
    sgn,
    sgk,
    sun,
    suk,
    scm,
    scn,
    BM: tl.constexpr,
    BN: tl.constexpr,
    BK: tl.constexpr,
    GROUP_M: tl.constexpr,
    EVEN_K: tl.constexpr,
    UPCAST: tl.constexpr,
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
    x_ptrs = x_ptr + (rm % M)[:, None] * sxm + rk[None, :] * sxk
    g_ptrs = wg_ptr + rk[:, None] * sgk + (rn % N)[None, :] * sgn
    u_ptrs = wu_ptr + rk[:, None] * suk + (rn % N)[None, :] * sun
    acc_g = tl.zeros((BM, BN), dtype=tl.float32)
    acc_u = tl.zeros((BM, BN), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BK)):
        if EVEN_K:
            x = tl.load(x_ptrs)
            g = tl.load(g_ptrs)
            u = tl.load(u_ptrs)
        else:
            kmask = rk < K - k * BK
            x = tl.load(x_ptrs, mask=kmask[None, :], other=0.0)
            g = tl.load(g_ptrs, mask=kmask[:, None], other=0.0)
            u = tl.load(u_ptrs, mask=kmask[:, None], other=0.0)
        if UPCAST:
            x = x.to(tl.float32)
            g = g.to(tl.float32)
            u = u.to(tl.float32)
        acc_g = tl.dot(x, g, acc_g)
        acc_u = tl.dot(x, u, acc_u)
        x_ptrs += BK * sxk
        g_ptrs += BK * sgk
        u_ptrs += BK * suk
    gate = acc_g.to(c_ptr.dtype.element_ty).to(tl.float32)
    up = acc_u.to(c_ptr.dtype.element_ty).to(tl.float32)
    y = gate / (1.0 + tl.exp(-gate)) * up
    mask = (rm[:, None] < M) & (rn[None, :] < N)
    tl.store(c_ptr + rm[:, None] * scm + rn[None, :] * scn, y.to(c_ptr.dtype.element_ty), mask=mask)


def _config(m: int, n: int, k: int) -> dict:
    if m >= 1024 and n >= 1024:
        # Two 128 x 128 accumulators on 8 warps (128 registers a thread for both): fastest of 8 tilings
        # in benchmarks/tune_library.py on an H100, 589 TFLOP/s against 507 for 128 x 64 x 64 / 4 stages.
        return {"BM": 128, "BN": 128, "BK": 64, "num_warps": 8, "num_stages": 3}
    return {"BM": 64, "BN": 64, "BK": 64, "num_warps": 4, "num_stages": 3}


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor, w_gate: torch.Tensor, w_up: torch.Tensor) -> torch.Tensor:
        k = x.shape[-1]
        a = x.reshape(-1, k)
        m, n = a.shape[0], w_gate.shape[0]
        c = torch.empty((m, n), dtype=x.dtype, device=x.device)
        if m and n:
            cfg = _config(m, n, k)
            grid = (triton.cdiv(m, cfg["BM"]) * triton.cdiv(n, cfg["BN"]),)
            _swiglu_kernel[grid](
                a,
                w_gate,
                w_up,
                c,
                m,
                n,
                k,
                a.stride(0),
                a.stride(1),
                w_gate.stride(0),
                w_gate.stride(1),
                w_up.stride(0),
                w_up.stride(1),
                c.stride(0),
                c.stride(1),
                GROUP_M=8,
                EVEN_K=k % cfg["BK"] == 0,
                UPCAST=not x.is_cuda,
                **cfg,
            )
        return c.view(*x.shape[:-1], n)
