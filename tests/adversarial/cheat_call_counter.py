"""Counts calls and, after the first few, returns a cheap wrong answer (THREATS #5).

Harnesses that check correctness on the first calls and then only time would never notice. The
clumsy version, caught by the static guard (KW-S080 call-counter). At run time every call is
checked, so it would be KW-O001 wrong-output.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=timing-evasion threats=5 device=cpu layer=guard

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


def _relu(x: torch.Tensor) -> torch.Tensor:
    x = x.contiguous()
    y = torch.empty_like(x)
    relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
    return y


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls > 3:
            return torch.zeros_like(x)  # "timing phase": skip the work
        return _relu(x)
