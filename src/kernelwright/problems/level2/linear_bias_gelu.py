"""Linear + bias + GELU (fp32)

gelu(x @ W^T + b) with the exact (erf) GELU, in fp32: the up-projection of a BERT-style MLP, where the
bias and activation belong in the GEMM epilogue. Weight and bias are inputs (nn.Linear layout).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# Triton's tl.dot multiplies fp32 inputs in tf32 by default (truncated to 10 mantissa bits): worst errors
# reach ~0.3-0.4 of this 5e-3 tolerance at the benchmark size on an H100, while a kernel that silently
# computes in bf16 lands 1.5-2.5x over it. The fp32 default (1e-4) would reject every tf32 kernel.
TOLERANCE = {"atol": 5e-3, "rtol": 5e-3}


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return F.gelu(F.linear(x, weight, bias))


def get_init_inputs() -> list:
    return []


def _make(m: int, k: int, n: int) -> list:
    x = torch.randn(m, k)
    weight = torch.randn(n, k) * k**-0.5
    bias = torch.randn(n) * 0.1
    return [x, weight, bias]


def get_inputs() -> list:
    return _make(8192, 4096, 4096)


# (M, K, N): tiny, ragged, non-power-of-two; every operand <= 64K elements.
_FUZZ_SHAPES = [
    (1, 3, 5),
    (1, 64, 1),
    (3, 37, 129),
    (17, 129, 64),
    (64, 1000, 33),
    (100, 250, 257),
    (129, 127, 200),
    (256, 256, 256),
]


def get_fuzz_inputs(seed: int) -> list:
    return _make(*_FUZZ_SHAPES[seed % len(_FUZZ_SHAPES)])


def get_flops(inputs: list) -> float:
    x, weight = inputs[0], inputs[1]
    return 2.0 * x.shape[0] * x.shape[1] * weight.shape[0]
