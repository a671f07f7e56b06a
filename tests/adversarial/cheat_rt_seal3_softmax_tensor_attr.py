"""`y.stride = fn` on one plain tensor: the interpreter calls it inside the launch and `fn` does the
softmax in NumPy. Now: the window watcher.

Red team, third round against the seal (worker/seal.py), after the second round's fixes.
Its author's note: Softmax: c03's per-instance tensor method override (`stride` this time) on a plain tensor argument;
the interpreter's _init_args_hst calls it with the seal open; NumPy computes softmax in float64.
"""
# kernelwright-expect: problem=level1/softmax verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime
import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn

_stride = torch._C.TensorBase.stride


def _hooked(x, y):
    def f(*a):
        v = x.numpy().astype(np.float64)
        e = np.exp(v - v.max(axis=-1, keepdims=True))
        y.numpy()[...] = (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)
        return _stride(y, *a)
    return f


@triton.jit
def touch_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    v = tl.load(y_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, v, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        y.stride = _hooked(x, y)
        n = x.numel()
        touch_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
