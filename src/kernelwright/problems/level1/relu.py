"""ReLU

Elementwise max(x, 0) in fp32: the simplest memory-bound kernel (activation in MLPs and CNNs).
"""

from __future__ import annotations

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


def get_init_inputs() -> list:
    return []


def get_inputs() -> list:
    return [torch.randn(8192, 4096)]


# Tiny, ragged, non-power-of-two and higher-rank shapes; an elementwise op accepts any shape.
_FUZZ_SHAPES = [(1,), (3,), (1, 37), (7, 129), (1000,), (3, 4097), (5, 3, 1000), (256, 256)]


def get_fuzz_inputs(seed: int) -> list:
    shape = _FUZZ_SHAPES[seed % len(_FUZZ_SHAPES)]
    return [torch.randn(*shape)]
