"""A call counter hidden in a list's length, switching to a half-work kernel after 5 calls (THREATS #5).

The counter is `len(self.__dict__[...])` grown by append, which the static guard's counter rule
does not recognise. The RUNTIME catches it: no call is unchecked (the CPU run checks 14 calls, a GPU
run checks every timed call too), so the half-computed outputs from call 6 on are KW-O001 wrong-output.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=wrong-output threats=5 device=cpu layer=runtime

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


def _relu_cheap(x: torch.Tensor) -> torch.Tensor:
    """Half the work: only the first half of the elements is computed; the rest is left unwritten."""
    x = x.contiguous()
    y = torch.empty_like(x)
    half = x.numel() // 2
    relu_kernel[(max(1, triton.cdiv(half, 1024)),)](x, y, half, BLOCK=1024)
    return y


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ticks = self.__dict__.setdefault("_ticks", [])
        ticks.append(None)
        cheap = len(ticks) > 5
        return [_relu, _relu_cheap][cheap](x)
