"""Masked softmax (fp32, key-padding mask)

softmax(scores.masked_fill(~mask, -inf), dim=-1) over attention scores [B, H, Sq, Sk] with a boolean
key-padding mask [B, Sk] (True = attend), as in encoder attention over padded batches.
"""

from __future__ import annotations

import torch
from torch import nn

# Probabilities are about 1/Sk (~2e-4 at 4097 keys), so the fp32 default atol of 1e-4 would let zeros
# pass; a correct fp32 softmax is good to ~1e-6 relative, so keep rtol and shrink atol.
TOLERANCE = {"atol": 1e-6, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        keep = mask[:, None, None, :]
        return torch.softmax(scores.masked_fill(~keep, float("-inf")), dim=-1)


def get_init_inputs() -> list:
    return []


def _make(b: int, h: int, sq: int, sk: int) -> list:
    scores = torch.randn(b, h, sq, sk)
    # Each sequence keeps between Sk/4 and Sk keys (at least one), so no row is fully masked.
    lengths = torch.randint(max(1, sk // 4), sk + 1, (b,))
    mask = torch.arange(sk)[None, :] < lengths[:, None]
    return [scores, mask]


def get_inputs() -> list:
    return _make(8, 16, 512, 512)


# (B, H, Sq, Sk): tiny, ragged, non-power-of-two.
_FUZZ_SHAPES = [
    (1, 1, 1, 3),
    (2, 1, 3, 37),
    (3, 2, 5, 129),
    (2, 3, 17, 64),
    (4, 2, 7, 1000),
    (2, 1, 3, 4097),
    (1, 4, 33, 33),
    (2, 2, 16, 1024),
]


def get_fuzz_inputs(seed: int) -> list:
    return _make(*_FUZZ_SHAPES[seed % len(_FUZZ_SHAPES)])
