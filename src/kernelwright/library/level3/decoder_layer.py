"""Llama decoder layer (fp32, tf32 tensor cores): 7 Triton kernels, 9 launches, no PyTorch compute.

1 RMSNorm rows -> n1.  2 Q/K/V projections (3 launches) with RoPE in the epilogue: each program keeps
the two rotate_half halves of G heads in two accumulators, so the rotation is elementwise (cos/sin from
inv_freq in-register, Cody-Waite reduced to [-pi, pi]) and q, k, v are stored straight into [B, H, S, D]:
no transpose, no cos/sin tables.  3 causal flash attention (online softmax, fp32 statistics, diagonal-only
masking, fully masked key blocks skipped) writing [B, S, H*D] rows for o_proj.  4 o_proj GEMM + residual.
5 RMSNorm -> m.  6 gate/up dual-accumulator GEMM with silu(g)*u fused.  7 down GEMM + residual.
GEMMs: 128 x 128 x 32 tf32 tiles (128 x 64 for the two-accumulator gate/up), 8 warps, 3 stages, grouped
order. Compute-bound at the benchmark shape.
"""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl
from torch import nn


# -- 1, 5: RMSNorm ----------------------------------------------------------------------------------
@triton.jit
def _rmsnorm_kernel(
    x_ptr, w_ptr, y_ptr, n_rows, n_cols, sx, sy, eps, ROWS: tl.constexpr, BLOCK: tl.constexpr
):
    rows = tl.program_id(0).to(tl.int64) * ROWS + tl.arange(0, ROWS)
    cols = tl.arange(0, BLOCK)
    cmask = cols < n_cols
    mask = (rows[:, None] < n_rows) & cmask[None, :]
    x = tl.load(x_ptr + rows[:, None] * sx + cols[None, :], mask=mask, other=0.0).to(tl.float32)
    rstd = 1.0 / tl.sqrt(tl.sum(x * x, axis=1) / n_cols + eps)
    w = tl.load(w_ptr + cols, mask=cmask, other=0.0).to(tl.float32)
    tl.store(y_ptr + rows[:, None] * sy + cols[None, :], x * rstd[:, None] * w[None, :], mask=mask)


# -- 2: Q/K/V projection + RoPE + head split --------------------------------------------------------
@triton.jit
def _qkv_rope_kernel(
    a_ptr,
    w_ptr,
    f_ptr,
    o_ptr,
    M,
    K,
    S,
    n_heads,
    half,
    sam,
    sak,
    swn,
    swk,
    sob,
    soh,
    sos,
    ROPE: tl.constexpr,
    G: tl.constexpr,
    BLOCK_HALF: tl.constexpr,
    BM: tl.constexpr,
    BK: tl.constexpr,
    EVEN_K: tl.constexpr,
):
    pid_m = tl.program_id(0)
    h0 = tl.program_id(1) * G
    rm = pid_m * BM + tl.arange(0, BM)
    c = tl.arange(0, G * BLOCK_HALF)
    head = h0 + c // BLOCK_HALF
    j = c % BLOCK_HALF
    cvalid = (head < n_heads) & (j < half)
    w_row = tl.where(cvalid, head * (2 * half) + j, 0)  # weight row of the first-half column
    rk = tl.arange(0, BK)
    a_ptrs = a_ptr + (rm % M)[:, None] * sam + rk[None, :] * sak
    lo_ptrs = w_ptr + rk[:, None] * swk + w_row[None, :] * swn
    hi_ptrs = lo_ptrs + half * swn
    acc_lo = tl.zeros((BM, G * BLOCK_HALF), dtype=tl.float32)
    acc_hi = tl.zeros((BM, G * BLOCK_HALF), dtype=tl.float32)
    for kk in range(0, tl.cdiv(K, BK)):
        if EVEN_K:
            a = tl.load(a_ptrs)
            wl = tl.load(lo_ptrs)  # invalid columns read row 0: in bounds, never stored
            wh = tl.load(hi_ptrs)
        else:
            kmask = rk < K - kk * BK
            a = tl.load(a_ptrs, mask=kmask[None, :], other=0.0)
            wl = tl.load(lo_ptrs, mask=kmask[:, None] & cvalid[None, :], other=0.0)
            wh = tl.load(hi_ptrs, mask=kmask[:, None] & cvalid[None, :], other=0.0)
        acc_lo = tl.dot(a, wl, acc_lo, input_precision="tf32")
        acc_hi = tl.dot(a, wh, acc_hi, input_precision="tf32")
        a_ptrs += BK * sak
        lo_ptrs += BK * swk
        hi_ptrs += BK * swk
    pos = rm % S
    if ROPE:
        inv = tl.load(f_ptr + j, mask=cvalid, other=0.0)
        ang = pos.to(tl.float32)[:, None] * inv[None, :]
        # Cody-Waite reduction to [-pi, pi]: 6.28125 is exact in 9 bits, so k * 6.28125 is exact.
        turns = tl.floor(ang * 0.15915494309189535 + 0.5)
        r = (ang - turns * 6.28125) - turns * 1.9353071795864769e-3
        cos = tl.cos(r)
        sin = tl.sin(r)
        out_lo = acc_lo * cos - acc_hi * sin
        out_hi = acc_hi * cos + acc_lo * sin
    else:
        out_lo = acc_lo
        out_hi = acc_hi
    b = (rm // S).to(tl.int64)
    row_base = o_ptr + b * sob + pos.to(tl.int64) * sos
    col_off = head.to(tl.int64) * soh + j
    mask = (rm[:, None] < M) & cvalid[None, :]
    tl.store(row_base[:, None] + col_off[None, :], out_lo, mask=mask)
    tl.store(row_base[:, None] + col_off[None, :] + half, out_hi, mask=mask)


# -- 3: causal flash attention (fp32 in, tf32 dots) -------------------------------------------------
@triton.jit
def _attn_block(
    acc,
    l_i,
    m_i,
    q,
    k_ptrs,
    v_ptrs,
    offs_m,
    offs_n,
    start,
    S,
    sks,
    svs,
    dmask,
    qk_scale,
    DIAGONAL: tl.constexpr,
):
    n_idx = start + offs_n
    if DIAGONAL:  # noqa: SIM108 - a constexpr branch, compiled away
        kv_mask = (n_idx[:, None] < S) & dmask[None, :]
    else:
        kv_mask = dmask[None, :]
    k = tl.load(k_ptrs + start * sks, mask=kv_mask, other=0.0)
    v = tl.load(v_ptrs + start * svs, mask=kv_mask, other=0.0)
    qk = tl.dot(q, tl.trans(k), input_precision="tf32") * qk_scale
    if DIAGONAL:
        qk = tl.where(offs_m[:, None] >= n_idx[None, :], qk, -1.0e30)
    m_new = tl.maximum(m_i, tl.max(qk, axis=1))
    p = tl.exp2(qk - m_new[:, None])
    alpha = tl.exp2(m_i - m_new)
    l_i = l_i * alpha + tl.sum(p, axis=1)
    acc = tl.dot(p, v, acc * alpha[:, None], input_precision="tf32")
    return acc, l_i, m_new


@triton.jit
def _attention_kernel(
    q_ptr,
    k_ptr,
    v_ptr,
    o_ptr,
    S,
    H,
    D,
    qk_scale,
    sqb,
    sqh,
    sqs,
    sob,
    soh,
    sos,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_D: tl.constexpr,
):
    start_m = tl.num_programs(0) - 1 - tl.program_id(0)
    bh = tl.program_id(1)
    b = (bh // H).to(tl.int64)
    h = (bh % H).to(tl.int64)
    offs_m = start_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)
    dmask = offs_d < D
    base = b * sqb + h * sqh
    q = tl.load(
        q_ptr + base + offs_m[:, None] * sqs + offs_d[None, :],
        mask=(offs_m[:, None] < S) & dmask[None, :],
        other=0.0,
    )
    k_ptrs = k_ptr + base + offs_n[:, None] * sqs + offs_d[None, :]
    v_ptrs = v_ptr + base + offs_n[:, None] * sqs + offs_d[None, :]
    m_i = tl.full([BLOCK_M], -float("inf"), dtype=tl.float32)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
    acc = tl.zeros([BLOCK_M, BLOCK_D], dtype=tl.float32)
    diag = start_m * BLOCK_M
    for start in range(0, diag, BLOCK_N):
        acc, l_i, m_i = _attn_block(
            acc,
            l_i,
            m_i,
            q,
            k_ptrs,
            v_ptrs,
            offs_m,
            offs_n,
            start,
            S,
            sqs,
            sqs,
            dmask,
            qk_scale,
            DIAGONAL=False,
        )
    for start in range(diag, tl.minimum(diag + BLOCK_M, S), BLOCK_N):
        acc, l_i, m_i = _attn_block(
            acc,
            l_i,
            m_i,
            q,
            k_ptrs,
            v_ptrs,
            offs_m,
            offs_n,
            start,
            S,
            sqs,
            sqs,
            dmask,
            qk_scale,
            DIAGONAL=True,
        )
    out = acc / l_i[:, None]
    o_ptrs = o_ptr + b * sob + h * soh + offs_m[:, None] * sos + offs_d[None, :]
    tl.store(o_ptrs, out, mask=(offs_m[:, None] < S) & dmask[None, :])


# -- 4, 6, 7: GEMMs with fused epilogues ------------------------------------------------------------
@triton.jit
def _linear_kernel(
    a_ptr,
    w_ptr,
    w2_ptr,
    r_ptr,
    c_ptr,
    M,
    N,
    K,
    sam,
    sak,
    swn,
    swk,
    srm,
    scm,
    EPILOGUE: tl.constexpr,
    BM: tl.constexpr,
    BN: tl.constexpr,
    BK: tl.constexpr,
    GROUP_M: tl.constexpr,
    EVEN_K: tl.constexpr,
):
    """EPILOGUE 0: c = r + a @ w^T.  EPILOGUE 1: c = silu(a @ w^T) * (a @ w2^T) (w2 has w's strides)."""
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
    w_off = rk[:, None] * swk + (rn % N)[None, :] * swn
    acc = tl.zeros((BM, BN), dtype=tl.float32)
    acc2 = tl.zeros((BM, BN), dtype=tl.float32)
    for kk in range(0, tl.cdiv(K, BK)):
        if EVEN_K:
            a = tl.load(a_ptrs)
            w = tl.load(w_ptr + w_off)
        else:
            kmask = rk < K - kk * BK
            a = tl.load(a_ptrs, mask=kmask[None, :], other=0.0)
            w = tl.load(w_ptr + w_off, mask=kmask[:, None], other=0.0)
        acc = tl.dot(a, w, acc, input_precision="tf32")
        if EPILOGUE == 1:
            if EVEN_K:
                w2 = tl.load(w2_ptr + w_off)
            else:
                w2 = tl.load(w2_ptr + w_off, mask=(rk < K - kk * BK)[:, None], other=0.0)
            acc2 = tl.dot(a, w2, acc2, input_precision="tf32")
        a_ptrs += BK * sak
        w_off += BK * swk
    mask = (rm[:, None] < M) & (rn[None, :] < N)
    if EPILOGUE == 0:
        y = acc + tl.load(r_ptr + rm[:, None] * srm + rn[None, :], mask=mask, other=0.0)
    else:
        y = acc / (1.0 + tl.exp(-acc)) * acc2
    tl.store(c_ptr + rm[:, None] * scm + rn[None, :], y, mask=mask)


def _gemm_cfg(m: int) -> dict:
    if m >= 512:
        return {"BM": 128, "BN": 128, "BK": 32, "num_warps": 8, "num_stages": 3}
    return {"BM": 64, "BN": 64, "BK": 32, "num_warps": 4, "num_stages": 3}


class _RMSNorm(nn.Module):
    def __init__(self, hidden: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(hidden))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_rows, n_cols = x.shape
        y = torch.empty_like(x)
        block = max(16, triton.next_power_of_2(n_cols))
        rows = max(1, min(64, 4096 // block))
        _rmsnorm_kernel[(triton.cdiv(n_rows, rows),)](
            x,
            self.weight,
            y,
            n_rows,
            n_cols,
            x.stride(0),
            y.stride(0),
            self.eps,
            ROWS=rows,
            BLOCK=block,
            num_warps=min(16, max(4, rows * block // 512)),
        )
        return y


class ModelNew(nn.Module):
    def __init__(
        self,
        hidden: int = 512,
        n_heads: int = 8,
        intermediate: int = 1536,
        eps: float = 1e-6,
        rope_theta: float = 10000.0,
    ) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.head_dim = hidden // n_heads
        self.input_norm = _RMSNorm(hidden, eps)
        self.q_proj = nn.Linear(hidden, hidden, bias=False)
        self.k_proj = nn.Linear(hidden, hidden, bias=False)
        self.v_proj = nn.Linear(hidden, hidden, bias=False)
        self.o_proj = nn.Linear(hidden, hidden, bias=False)
        self.post_attention_norm = _RMSNorm(hidden, eps)
        self.gate_proj = nn.Linear(hidden, intermediate, bias=False)
        self.up_proj = nn.Linear(hidden, intermediate, bias=False)
        self.down_proj = nn.Linear(intermediate, hidden, bias=False)
        inv_freq = 1.0 / (
            rope_theta ** (torch.arange(0, self.head_dim, 2, dtype=torch.float32) / self.head_dim)
        )
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def _linear(
        self,
        a: torch.Tensor,
        w: torch.Tensor,
        epilogue: int,
        w2: torch.Tensor | None = None,
        r: torch.Tensor | None = None,
    ) -> torch.Tensor:
        m, k = a.shape
        n = w.shape[0]
        c = torch.empty((m, n), dtype=a.dtype, device=a.device)
        w2 = w if w2 is None else w2
        r = c if r is None else r
        cfg = _gemm_cfg(m)
        if epilogue == 1:
            cfg["BN"] = min(cfg["BN"], 64)  # two accumulators: keep them within the register file
        grid = (triton.cdiv(m, cfg["BM"]) * triton.cdiv(n, cfg["BN"]),)
        _linear_kernel[grid](
            a,
            w,
            w2,
            r,
            c,
            m,
            n,
            k,
            a.stride(0),
            a.stride(1),
            w.stride(0),
            w.stride(1),
            r.stride(0),
            c.stride(0),
            EPILOGUE=epilogue,
            GROUP_M=8,
            EVEN_K=k % cfg["BK"] == 0,
            **cfg,
        )
        return c

    def _project(self, n1: torch.Tensor, w: torch.Tensor, out: torch.Tensor, rope: bool, s: int) -> None:
        m, k = n1.shape
        half = self.head_dim // 2
        block_half = max(16, triton.next_power_of_2(half))
        g = max(1, 64 // block_half)
        bm = 128 if m >= 512 else 64
        grid = (triton.cdiv(m, bm), triton.cdiv(self.n_heads, g))
        _qkv_rope_kernel[grid](
            n1,
            w,
            self.inv_freq,
            out,
            m,
            k,
            s,
            self.n_heads,
            half,
            n1.stride(0),
            n1.stride(1),
            w.stride(0),
            w.stride(1),
            out.stride(0),
            out.stride(1),
            out.stride(2),
            ROPE=rope,
            G=g,
            BLOCK_HALF=block_half,
            BM=bm,
            BK=32,
            EVEN_K=k % 32 == 0,
            num_warps=8 if bm == 128 else 4,
            num_stages=3,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s, hidden = x.shape
        x2 = x.reshape(b * s, hidden).contiguous()
        if x2.numel() == 0:
            return torch.empty_like(x)
        n1 = self.input_norm(x2)
        heads = (b, self.n_heads, s, self.head_dim)
        q = torch.empty(heads, dtype=x.dtype, device=x.device)
        k = torch.empty(heads, dtype=x.dtype, device=x.device)
        v = torch.empty(heads, dtype=x.dtype, device=x.device)
        self._project(n1, self.q_proj.weight, q, True, s)
        self._project(n1, self.k_proj.weight, k, True, s)
        self._project(n1, self.v_proj.weight, v, False, s)
        attn = torch.empty((b, s, hidden), dtype=x.dtype, device=x.device)
        block_m = min(128, max(16, triton.next_power_of_2(s)))
        block_n = min(64, block_m)
        block_d = max(16, triton.next_power_of_2(self.head_dim))
        qk_scale = (1.0 / math.sqrt(self.head_dim)) * 1.4426950408889634
        _attention_kernel[(triton.cdiv(s, block_m), b * self.n_heads)](
            q,
            k,
            v,
            attn,
            s,
            self.n_heads,
            self.head_dim,
            qk_scale,
            q.stride(0),
            q.stride(1),
            q.stride(2),
            attn.stride(0),
            self.head_dim,
            attn.stride(1),
            BLOCK_M=block_m,
            BLOCK_N=block_n,
            BLOCK_D=block_d,
            num_warps=8 if block_m >= 128 else 4,
            num_stages=3,
        )
        h = self._linear(attn.view(b * s, hidden), self.o_proj.weight, 0, r=x2)
        m = self.post_attention_norm(h)
        act = self._linear(m, self.gate_proj.weight, 1, w2=self.up_proj.weight)
        out = self._linear(act, self.down_proj.weight, 0, r=h)
        return out.view(b, s, hidden)
