"""Transpose (2-D, fp32)

Out-of-place 2-D transpose into a contiguous tensor, x.t().contiguous(): a pure data-movement kernel
whose speed depends on coalescing both reads and writes.
"""

from __future__ import annotations

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.t().contiguous()


def get_init_inputs() -> list:
    return []


def get_inputs() -> list:
    return [torch.randn(8192, 8192)]


_FUZZ_SHAPES = [(1, 1), (1, 37), (37, 1), (3, 129), (129, 127), (1000, 17), (4097, 3), (256, 256)]


def get_fuzz_inputs(seed: int) -> list:
    return [torch.randn(*_FUZZ_SHAPES[seed % len(_FUZZ_SHAPES)])]
