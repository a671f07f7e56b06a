"""A plain object passed to a kernel reaches the interpreted body unchanged (_implicit_cvt returns
it as is). `h + 0` in the body is no ast.Call, so the guard's kernel-python rule does not see it,
and the seal's foreign_callable only looks at callables. Its __add__ does the relu in NumPy while
the launch holds the seal open.

Red team, second round against the seal (worker/seal.py), after the first round's fixes. Now: the same allow-list of launch arguments: the object's `__add__` runs shut; KW-P008 from the seal probe.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, h, BLOCK: tl.constexpr):
    _ = h + 0


class _H:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __add__(self, other):
        np.maximum(self.x.numpy(), 0.0, out=self.y.numpy())
        return other


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        relu_kernel[(1,)](x, y, x.numel(), _H(x, y), BLOCK=1024)
        return y
