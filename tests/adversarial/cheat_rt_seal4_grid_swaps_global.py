"""A grid function rebinds the module global `tl` to a proxy after the launch's vet; the body's
`tl.store` reached the proxy, which did the relu in NumPy. Now: the vet runs at the first body,
after the launch's prologue (grid function, pre-run hooks, `_patch_lang`), and a body it cannot vet
runs sealed.

Red team, fourth round against the seal (worker/seal.py), after the window watcher and its resting in vetted kernel bodies.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime
import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn

_real_tl = tl


class _Lang:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def __getattr__(self, name):
        return getattr(_real_tl, name)

    def store(self, *args, **kwargs):
        np.maximum(self.a.numpy(), 0.0, out=self.b.numpy())
        _put_back()


def _put_back():
    global tl
    tl = _real_tl


def _swap(a, b):
    def grid(meta):
        global tl
        tl = _Lang(a, b)
        return (1,)
    return grid


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        relu_kernel[_swap(x, y)](x, y, n, BLOCK=16)
        _put_back()
        return y
