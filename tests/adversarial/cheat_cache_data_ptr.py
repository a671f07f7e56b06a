"""Caches the output keyed by the input's data_ptr and shape and replays it (THREATS #4).

Benchmarks that time the same buffer over and over get a free lookup. The clumsy version, caught
by the static guard (KW-S081 output-cache). At run time the judge feeds fresh values through reused
buffers and checks every call, so a replay would be KW-O001/KW-O004 wrong-output.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=timing-evasion threats=4 device=cpu layer=guard

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
        self.cache: dict = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        key = (x.data_ptr(), tuple(x.shape))
        if key in self.cache:
            return self.cache[key]
        y = _relu(x)
        self.cache[key] = y
        return y
