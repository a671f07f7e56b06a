"""Row sum (last dim, fp32)

Sum over the last dimension in fp32: the basic memory-bound reduction (losses, norms, pooling).
"""

from __future__ import annotations

import torch
from torch import nn

# A sum of 16384 fp32 values of size ~1 carries ~1e-4..1e-3 of rounding that depends on the order of
# the additions (a blocked tree vs. a sequential loop), so atol is looser than the fp32 default.
TOLERANCE = {"atol": 2e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.sum(dim=-1)


def get_init_inputs() -> list:
    return []


def get_inputs() -> list:
    return [torch.randn(4096, 16384)]


_FUZZ_SHAPES = [(1, 1), (1, 37), (3, 129), (7, 1000), (2, 4097), (64, 1024), (5, 3, 33), (4, 16384)]


def get_fuzz_inputs(seed: int) -> list:
    return [torch.randn(*_FUZZ_SHAPES[seed % len(_FUZZ_SHAPES)])]
