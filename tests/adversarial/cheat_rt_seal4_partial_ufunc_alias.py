"""`HOOKS = (functools.partial(np.maximum, x.numpy(), 0.0, out=y.numpy()),)` and `for h in HOOKS: h()`
in the body: C callables run without a Python frame, so the watcher saw nothing. Now: a body that
reaches anything unvetted (a tuple global) runs sealed.

Red team, fourth round against the seal (worker/seal.py), after the window watcher and its resting in vetted kernel bodies.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime
import functools

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn

HOOKS = ()


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    for h in HOOKS:
        h()
    v = tl.load(y_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, v, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        global HOOKS
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        HOOKS = (functools.partial(np.maximum, x.numpy(), 0.0, out=y.numpy()),)
        relu_kernel[(1,)](x, y, n, BLOCK=16)
        HOOKS = ()
        return y
