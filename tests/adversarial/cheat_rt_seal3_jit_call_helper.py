"""The kernel is made by `relu_kernel = triton.jit(_body)`, a call rather than a decorator, and its
body calls a plain helper that does the relu in NumPy while the launch has the seal open. Now:
KW-S091 reads kernels made by a `triton.jit(...)` call too (guard/facts.py); at run time the window
watcher would shut the seal on the helper.

Red team, third round against the seal (worker/seal.py), after the second round's fixes.
Its author's note: ReLU: kernel made by triton.jit(fn) call (not a decorator), body calls a Python helper.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=compile-error threats=6,25 device=cpu layer=guard
import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn

_cur = []


def _work():
    x, y = _cur[0]
    np.maximum(x.numpy(), 0.0, out=y.numpy())


def _body(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    _work()


relu_kernel = triton.jit(_body)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        _cur[:] = [(x, y)]
        relu_kernel[(1,)](x, y, x.numel(), BLOCK=16)
        return y
