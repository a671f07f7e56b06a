"""LayerNorm (last dim, fp32)

F.layer_norm over the last dimension with affine weight and bias (passed as inputs) in fp32, as in
BERT/GPT-2 blocks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Model(nn.Module):
    def __init__(self, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, (x.shape[-1],), weight, bias, self.eps)


def get_init_inputs() -> list:
    return [1e-5]


def _make(shape: tuple[int, ...], offset: float) -> list:
    hidden = shape[-1]
    x = torch.randn(*shape) + offset
    weight = torch.randn(hidden) * 0.1 + 1.0
    bias = torch.randn(hidden) * 0.1
    return [x, weight, bias]


def get_inputs() -> list:
    return _make((8192, 4096), 0.0)


# (shape, offset): hidden sizes from 3 to 8192, ragged and non-power-of-two; one case with a
# row mean far from zero.
_FUZZ_CASES = [
    ((1, 3), 0.0),
    ((4, 37), 0.0),
    ((3, 129), 5.0),
    ((17, 1000), 0.0),
    ((2, 4097), 0.0),
    ((64, 768), 0.0),
    ((2, 5, 96), 0.0),
    ((8, 8192), 0.0),
]


def get_fuzz_inputs(seed: int) -> list:
    shape, offset = _FUZZ_CASES[seed % len(_FUZZ_CASES)]
    return _make(shape, offset)
