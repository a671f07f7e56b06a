"""Matmul + scale + residual add (fp32)

alpha * (A @ B) + R in fp32: a GEMM with a scaled residual add fused into its epilogue, as in
residual-scaled transformer blocks and out-projections.
"""

from __future__ import annotations

import torch
from torch import nn

# Triton's tl.dot multiplies fp32 inputs in tf32 by default (truncated to 10 mantissa bits): worst errors
# reach ~0.3-0.4 of this 5e-3 tolerance at the benchmark size on an H100, while a kernel that silently
# computes in bf16 lands 1.5-2.5x over it. The fp32 default (1e-4) would reject every tf32 kernel.
TOLERANCE = {"atol": 5e-3, "rtol": 5e-3}


class Model(nn.Module):
    def __init__(self, alpha: float = 0.5) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, a: torch.Tensor, b: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return torch.matmul(a, b) * self.alpha + residual


def get_init_inputs() -> list:
    return [0.5]


def _make(m: int, k: int, n: int) -> list:
    # B is scaled by 1/sqrt(K) so that A @ B is O(1) whatever K is.
    return [torch.randn(m, k), torch.randn(k, n) * k**-0.5, torch.randn(m, n)]


def get_inputs() -> list:
    return _make(4096, 4096, 4096)


# (M, K, N): tiny, ragged, non-power-of-two; every operand <= 64K elements.
_FUZZ_SHAPES = [
    (1, 1, 1),
    (1, 37, 3),
    (3, 129, 5),
    (37, 65, 29),
    (64, 64, 64),
    (100, 33, 257),
    (129, 200, 127),
    (256, 256, 256),
]


def get_fuzz_inputs(seed: int) -> list:
    return _make(*_FUZZ_SHAPES[seed % len(_FUZZ_SHAPES)])


def get_flops(inputs: list) -> float:
    a, b = inputs[0], inputs[1]
    return 2.0 * a.shape[0] * a.shape[1] * b.shape[1]
