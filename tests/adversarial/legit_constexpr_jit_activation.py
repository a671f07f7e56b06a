"""Legit: the activation reaches the kernel as a constexpr jit function (a common Triton pattern).

The seal (worker/seal.py) keeps a launch shut when it is given a plain Python callable
(cheat_rt_seal_constexpr_helper), and the static guard names a kernel body that calls Python other than
Triton (KW-S091, cheat_rt_seal_kernel_body_python). A `@triton.jit` function passed as a constexpr and
called in the body is Triton: it compiles for a GPU, and must be accepted here.
"""
# kernelwright-expect: problem=level1/relu verdict=accepted category=none threats=6,25 device=cpu layer=none

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def relu_act(x):
    return tl.maximum(x, 0.0)


@triton.jit
def act_kernel(x_ptr, y_ptr, n, ACT: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, ACT(x), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        act_kernel[(triton.cdiv(n, 1024),)](x, y, n, ACT=relu_act, BLOCK=1024)
        return y
