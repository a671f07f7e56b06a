"""`__builtins__ = dict(builtins.__dict__, range=_range)` at module level: the body's `range(1)` called
the candidate's `_range`, which did the relu in NumPy. Now: a module with builtins of its own is not
vetted, and its bodies run sealed.

Red team, fourth round against the seal (worker/seal.py), after the window watcher and its resting in vetted kernel bodies.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime
import builtins as _b

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn

_PENDING = []


def _range(*args):
    while _PENDING:
        a, b = _PENDING.pop()
        np.maximum(a.numpy(), 0.0, out=b.numpy())
    return _b.range(*args)


__builtins__ = dict(_b.__dict__, range=_range)


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    for i in range(1):
        mask = offs < n
        v = tl.load(y_ptr + offs, mask=mask, other=0.0)
        tl.store(y_ptr + offs, v, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _PENDING.append((x, y))
        relu_kernel[(1,)](x, y, n, BLOCK=16)
        return y
