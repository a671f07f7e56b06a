"""Wraps the launch in try/except and falls back to torch.relu (THREATS #7).

The kernel is called with a wrong argument list, so it always fails and PyTorch answers. The clumsy
version, caught by the static guard (KW-S050 try-except-fallback). At run time the launch ledger sees
the launch raise while forward still returns (KW-P002).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=7 device=cpu layer=guard

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


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        try:
            y = torch.empty_like(x)
            relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, BLOCK=1024)  # missing n: always raises
            return y
        except Exception:  # noqa: BLE001
            return torch.relu(x)
