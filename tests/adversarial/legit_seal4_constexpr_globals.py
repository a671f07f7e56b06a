"""Legit: constexpr globals (`tl.constexpr(1024)`, a bool flag), a constexpr default argument, and a
constexpr flag passed at the launch, all read by the kernel body.

The seal (worker/seal.py) looks inside a constexpr now, at the launch's arguments and at the module's
globals, and a body that reaches anything it cannot vet runs sealed (cheat_rt_seal4_constexpr_bool,
_constexpr_kwarg). A constexpr that wraps a plain number or bool is Triton, compiles for a GPU and must
be accepted.
"""
# kernelwright-expect: problem=level1/relu verdict=accepted category=none threats=6,25 device=cpu layer=none

import torch
import triton
import triton.language as tl
from torch import nn

BLOCK = tl.constexpr(1024)
CLAMP = tl.constexpr(True)


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, LEAK: tl.constexpr, SCALE: tl.constexpr = 1.0):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    if CLAMP:
        y = tl.where(x > 0, x, x * LEAK)
    else:
        y = x
    tl.store(y_ptr + offs, y * SCALE, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 1024),)](x, y, n, LEAK=tl.constexpr(0.0))
        return y
