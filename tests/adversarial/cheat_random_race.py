"""Output depends on a random draw per call, like a kernel with a data race (THREATS #15).

Each call drops a random-sized tail with probability 1/2 (a stand-in for a race on a shared
accumulator). The RUNTIME catches it: with ~15 checked calls, the chance every call comes out right is
about 3e-5 (KW-O001 / KW-O003 wrong-output).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=wrong-output threats=15 device=cpu layer=runtime

import random

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


_rng = random.SystemRandom()


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        covered = n if _rng.random() < 0.5 else _rng.randrange(0, n)
        relu_kernel[(triton.cdiv(n, 1024),)](x, y, covered, BLOCK=1024)
        return y
