"""Legit: kernels made by a `triton.jit(...)` call, a jit helper called from the body, module constants.

The window watcher (worker/seal.py) shuts the seal when the candidate's own Python runs while a launch
has it open (cheat_rt_seal3_*), and KW-S091 now reads kernels made by a `triton.jit` call
(cheat_rt_seal3_jit_call_helper). The bodies Triton's interpreter compiles from the kernel's source are
not the candidate's Python in that sense, nor is reading a module-level constant: all of this compiles
for a GPU and must be accepted.
"""
# kernelwright-expect: problem=level1/relu verdict=accepted category=none threats=6,25 device=cpu layer=none

import torch
import triton
import triton.language as tl
from torch import nn

BLOCK_SIZE = 1024
NEG_SLOPE = 0.0


def _leaky(x, slope):
    return tl.where(x > 0, x, x * slope)


leaky = triton.jit(_leaky)


def _relu_body(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, leaky(x, NEG_SLOPE), mask=mask)


relu_kernel = triton.jit(_relu_body)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, BLOCK_SIZE),)](x, y, n, BLOCK=BLOCK_SIZE)
        return y
