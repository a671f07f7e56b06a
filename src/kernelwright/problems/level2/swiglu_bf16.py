"""SwiGLU gate/up projection (bf16)

silu(x @ Wg^T) * (x @ Wu^T) in bf16 (fp32 epilogue): the gated first half of a Llama MLP, two GEMMs
sharing an input with the SiLU-and-multiply fused behind them. Weights are inputs (nn.Linear layout).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor, w_gate: torch.Tensor, w_up: torch.Tensor) -> torch.Tensor:
        gate = F.linear(x, w_gate).float()
        up = F.linear(x, w_up).float()
        return (F.silu(gate) * up).to(x.dtype)


def get_init_inputs() -> list:
    return []


def _make(m: int, k: int, n: int) -> list:
    x = torch.randn(m, k).to(torch.bfloat16)
    w_gate = (torch.randn(n, k) * k**-0.5).to(torch.bfloat16)
    w_up = (torch.randn(n, k) * k**-0.5).to(torch.bfloat16)
    return [x, w_gate, w_up]


def get_inputs() -> list:
    # 4096 tokens through Llama-7B's MLP widths (4096 -> 11008).
    return _make(4096, 4096, 11008)


# (M tokens, K hidden, N intermediate): tiny, ragged, non-power-of-two; every operand <= 64K elements.
_FUZZ_SHAPES = [
    (1, 3, 5),
    (1, 64, 1),
    (3, 37, 129),
    (17, 129, 64),
    (64, 1000, 33),
    (100, 256, 172),
    (129, 127, 200),
    (128, 256, 256),
]


def get_fuzz_inputs(seed: int) -> list:
    return _make(*_FUZZ_SHAPES[seed % len(_FUZZ_SHAPES)])


def get_flops(inputs: list) -> float:
    x, w_gate = inputs[0], inputs[1]
    return 2.0 * 2.0 * x.shape[0] * x.shape[1] * w_gate.shape[0]
