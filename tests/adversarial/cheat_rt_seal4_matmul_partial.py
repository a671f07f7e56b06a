"""cheat_rt_seal4_partial_ufunc_alias on matmul: `functools.partial(np.matmul, a, b, out=c)` called
from the body. Now: sealed like it.

Red team, fourth round against the seal (worker/seal.py), after the window watcher and its resting in vetted kernel bodies.
"""
# kernelwright-expect: problem=level1/matmul verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime
import functools

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn

HOOKS = ()


@triton.jit
def mm_kernel(a_ptr, b_ptr, c_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    for h in HOOKS:
        h()
    v = tl.load(c_ptr + offs, mask=mask, other=0.0)
    tl.store(c_ptr + offs, v, mask=mask)


class ModelNew(nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        global HOOKS
        c = torch.empty(a.shape[0], b.shape[1], dtype=a.dtype)
        HOOKS = (functools.partial(np.matmul, a.numpy(), b.numpy(), out=c.numpy()),)
        mm_kernel[(1,)](a, b, c, c.numel(), BLOCK=16)
        HOOKS = ()
        return c
