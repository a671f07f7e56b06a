"""`y.untyped_storage = fn` on one plain tensor shadows the method; Triton's interpreter calls it
inside the launch (`_init_args_hst`), and `fn` does the relu in NumPy before returning the real
storage. Now: the window watcher shuts the seal when `fn` runs.

Red team, third round against the seal (worker/seal.py), after the second round's fixes.
Its author's note: ReLU: per-instance `untyped_storage` attribute on a plain tensor argument; the interpreter's
_init_args_hst calls it inside the open launch, and it computes relu in NumPy on the true bytes.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime
import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn

_storage = torch._C.TensorBase.untyped_storage


def _hooked(x, y):
    def f():
        np.maximum(x.numpy(), 0.0, out=y.numpy())
        return _storage(y)
    return f


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
        y.untyped_storage = _hooked(x, y)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
