"""A decorated kernel whose body calls a module-level helper through a local alias (`h = _work; h()`),
which KW-S091 lets through as a call of a local; the helper does the relu in NumPy inside the open
launch. Now: the window watcher (worker/seal.py) sees the candidate's Python run while the seal is
open and shuts it: NaN, KW-P008.

Red team, third round against the seal (worker/seal.py), after the second round's fixes.
Its author's note: ReLU: decorated @triton.jit kernel; body aliases a module helper to a local (guard allows calls on locals).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime
import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn

_cur = []


def _work():
    x, y = _cur[0]
    np.maximum(x.numpy(), 0.0, out=y.numpy())


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    h = _work
    h()


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        _cur[:] = [(x, y)]
        relu_kernel[(1,)](x, y, x.numel(), BLOCK=16)
        return y
