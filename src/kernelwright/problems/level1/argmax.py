"""Argmax (last dim, fp32 -> int64)

Index of the largest value along the last dimension, as in greedy decoding over a vocabulary.
Ties resolve to the first index (torch.argmax's documented behaviour).
"""

from __future__ import annotations

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.argmax(x, dim=-1)


def get_init_inputs() -> list:
    return []


def get_inputs() -> list:
    # 2048 rows of a Llama-2-sized vocabulary (32000).
    return [torch.randn(2048, 32000)]


_FUZZ_SHAPES = [(1, 37), (33, 3), (7, 129), (20, 1000), (1, 4097), (16, 4000), (64, 1024), (2, 32000)]


def get_fuzz_inputs(seed: int) -> list:
    return [torch.randn(*_FUZZ_SHAPES[seed % len(_FUZZ_SHAPES)])]
