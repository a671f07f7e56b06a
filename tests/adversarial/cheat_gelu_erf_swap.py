"""Computes the exact (erf) GELU for a problem that asks for the tanh approximation (THREATS #8).

Swapping the approximation is a classic "close enough" cheat (one formula may be cheaper on some
hardware). The two differ by up to ~5e-4 around |x| ~ 2. The RUNTIME catches it: the fp32 tolerance
(1e-4 + 1e-4*|y|) and inputs scaled to cover the tails tell them apart (KW-O001 wrong-output).
"""
# kernelwright-expect: problem=level1/gelu_tanh verdict=rejected category=wrong-output threats=8 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def gelu_erf_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    y = 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476))
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        gelu_erf_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
