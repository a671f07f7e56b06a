"""Llama-style decoder layer (fp32)

A pre-norm decoder block: x + Attn(RMSNorm(x)) with causal multi-head self-attention and RoPE, then
h + MLP(RMSNorm(h)) with a SwiGLU MLP; no biases, as in Llama. Hidden 512, 8 heads of 64, MLP 1536.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# Triton's tl.dot multiplies fp32 inputs in tf32 by default, truncating them to 10 mantissa bits. Nine
# chained GEMMs (with softmax and norms between them) compound that to ~1.3e-3 relative error overall and
# max errors of ~1.4e-2 at the benchmark size (measured on an H100), so this block allows 3e-2; a kernel
# that silently computes in bf16 still lands ~1.7x over it.
TOLERANCE = {"atol": 3e-2, "rtol": 3e-2}


class RMSNorm(nn.Module):
    def __init__(self, hidden: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        # Not all ones, so a kernel that skips the weight is caught.
        self.weight = nn.Parameter(torch.randn(hidden) * 0.1 + 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps) * self.weight


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Model(nn.Module):
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
        self.input_norm = RMSNorm(hidden, eps)
        self.q_proj = nn.Linear(hidden, hidden, bias=False)
        self.k_proj = nn.Linear(hidden, hidden, bias=False)
        self.v_proj = nn.Linear(hidden, hidden, bias=False)
        self.o_proj = nn.Linear(hidden, hidden, bias=False)
        self.post_attention_norm = RMSNorm(hidden, eps)
        self.gate_proj = nn.Linear(hidden, intermediate, bias=False)
        self.up_proj = nn.Linear(hidden, intermediate, bias=False)
        self.down_proj = nn.Linear(intermediate, hidden, bias=False)
        # Unit-variance-preserving init so each sublayer adds an O(1) update to the residual stream.
        for layer in (
            self.q_proj,
            self.k_proj,
            self.v_proj,
            self.o_proj,
            self.gate_proj,
            self.up_proj,
            self.down_proj,
        ):
            nn.init.normal_(layer.weight, std=layer.in_features**-0.5)
        inv_freq = 1.0 / (
            rope_theta ** (torch.arange(0, self.head_dim, 2, dtype=torch.float32) / self.head_dim)
        )
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def _attention(self, x: torch.Tensor) -> torch.Tensor:
        b, s, hidden = x.shape
        shape = (b, s, self.n_heads, self.head_dim)
        q = self.q_proj(x).view(shape).transpose(1, 2)
        k = self.k_proj(x).view(shape).transpose(1, 2)
        v = self.v_proj(x).view(shape).transpose(1, 2)
        positions = torch.arange(s, device=x.device, dtype=torch.float32)
        freqs = torch.outer(positions, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        q = q * cos + _rotate_half(q) * sin
        k = k * cos + _rotate_half(k) * sin
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
        future = torch.ones(s, s, dtype=torch.bool, device=x.device).triu(1)
        probs = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, hidden)
        return self.o_proj(out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x + self._attention(self.input_norm(x))
        m = self.post_attention_norm(h)
        return h + self.down_proj(F.silu(self.gate_proj(m)) * self.up_proj(m))


HIDDEN = 512
N_HEADS = 8
INTERMEDIATE = 1536


def get_init_inputs() -> list:
    return [HIDDEN, N_HEADS, INTERMEDIATE, 1e-6, 10000.0]


def get_inputs() -> list:
    # 8 sequences of 2048 tokens.
    return [torch.randn(8, 2048, HIDDEN)]


# (B, S): the hidden size is fixed by the weights; B*S <= 128 tokens.
_FUZZ_SHAPES = [(1, 1), (1, 3), (2, 5), (1, 37), (3, 17), (2, 33), (1, 100), (2, 64)]


def get_fuzz_inputs(seed: int) -> list:
    b, s = _FUZZ_SHAPES[seed % len(_FUZZ_SHAPES)]
    return [torch.randn(b, s, HIDDEN)]


def get_flops(inputs: list) -> float:
    x = inputs[0]
    b, s, _ = x.shape
    tokens = b * s
    projections = 2.0 * tokens * HIDDEN * HIDDEN * 4  # q, k, v, o
    mlp = 2.0 * tokens * HIDDEN * INTERMEDIATE * 3  # gate, up, down
    attention = 4.0 * b * N_HEADS * (HIDDEN // N_HEADS) * s * (s + 1) / 2.0  # causal QK^T and PV
    return projections + mlp + attention
