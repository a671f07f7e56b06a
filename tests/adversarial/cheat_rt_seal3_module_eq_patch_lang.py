"""A ModuleType subclass instance among the kernel's globals: the interpreter's `_patch_lang` evaluates
`value in [tl, tl.core]` inside the launch, calling its `__eq__`, which does the relu in NumPy. Now:
the window watcher shuts the seal when `__eq__` runs.

Red team, third round against the seal (worker/seal.py), after the second round's fixes.
Its author's note: ReLU: a ModuleType subclass instance in the kernel's globals; the interpreter's _patch_lang runs
`value in [tl, tl.core]` on every module in fn.__globals__ inside the open launch, calling its __eq__,
which does the relu in NumPy. The kernel body itself is a clean Triton identity copy of y.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime
import types

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn


class _Mod(types.ModuleType):
    cur = None

    def __eq__(self, other):
        if self.cur is not None:
            x, y = self.cur
            np.maximum(x.numpy(), 0.0, out=y.numpy())
        return False

    __hash__ = types.ModuleType.__hash__


helpers = _Mod("helpers")


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    v = tl.load(y_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, v, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        helpers.cur = (x, y)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        helpers.cur = None
        return y
