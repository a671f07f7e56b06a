"""Caches the output keyed by a content fingerprint (sum and first element) (THREATS #4).

Against a harness that replays identical inputs, the fingerprint hits and the kernel is skipped. The
clumsy version, caught by the static guard (KW-S081 output-cache). At run time it would gain nothing:
every call gets fresh values, so the fingerprint never hits except on the deliberate repeat.
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
        self.memo: dict = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fp = (tuple(x.shape), round(float(x.sum().item()), 3), float(x.reshape(-1)[0].item()))
        hit = self.memo.get(fp)
        if hit is not None:
            return hit
        out = _relu(x)
        self.memo[fp] = out
        return out
