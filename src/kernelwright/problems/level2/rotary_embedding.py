"""Rotary position embedding (fp32, Llama-style)

q * cos + rotate_half(q) * sin on q [B, H, S, D] with cos/sin tables [S, D] (the two halves of D
rotated as pairs, as in HF Llama's apply_rotary_pos_emb), in fp32.
"""

from __future__ import annotations

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, q: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        half = q.shape[-1] // 2
        rotated = torch.cat((-q[..., half:], q[..., :half]), dim=-1)
        return q * cos + rotated * sin


def get_init_inputs() -> list:
    return []


def _make(b: int, h: int, s: int, d: int, start: int) -> list:
    q = torch.randn(b, h, s, d)
    inv_freq = 1.0 / (10000.0 ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
    positions = torch.arange(start, start + s, dtype=torch.float32)
    freqs = torch.outer(positions, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return [q, emb.cos(), emb.sin()]


def get_inputs() -> list:
    return _make(8, 16, 2048, 128, 0)


# (B, H, S, D, first position): head dims 2..128 including 80 and 96, ragged sequence lengths.
_FUZZ_SHAPES = [
    (1, 1, 1, 2, 0),
    (1, 2, 3, 8, 5),
    (2, 3, 37, 16, 0),
    (1, 4, 129, 64, 0),
    (2, 2, 17, 80, 1000),
    (3, 1, 100, 96, 0),
    (1, 3, 33, 128, 4096),
    (2, 4, 64, 128, 0),
]


def get_fuzz_inputs(seed: int) -> list:
    return _make(*_FUZZ_SHAPES[seed % len(_FUZZ_SHAPES)])
