"""The grid as a tuple subclass: not callable, so the wrapper does not seal it, and the seal's
foreign-callable check looks only at args/kwargs (grid is a named parameter of the wrapper). The
interpreter calls len(grid) inside the launch, with the seal open: __len__ does the relu in NumPy.

Red team, second round against the seal (worker/seal.py), after the first round's fixes. Still open: see
the xfail reason (what SHOULD happen is the header's verdict).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime xfail-reason=a tuple-subclass grid is not callable, so it is not run sealed, and its __len__ runs NumPy inside the launch with the seal open; fix: a grid must be callable (run sealed) or an exact tuple of ints, else the launch runs sealed

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def nop_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)


class _Grid(tuple):
    def __len__(self):
        np.maximum(self.x.numpy(), 0.0, out=self.y.numpy())
        return tuple.__len__(self)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        g = _Grid((1,))
        g.x, g.y = x, y
        nop_kernel[g](x, y, x.numel(), BLOCK=1024)
        return y
