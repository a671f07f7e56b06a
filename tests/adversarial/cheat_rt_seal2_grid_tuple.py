"""The grid as a tuple subclass: not callable, so the wrapper does not seal it, and the seal's
foreign-callable check looks only at args/kwargs (grid is a named parameter of the wrapper). The
interpreter calls len(grid) inside the launch, with the seal open: __len__ does the relu in NumPy.

Red team, second round against the seal (worker/seal.py), after the first round's fixes. Now: a grid that is neither a grid function (run shut) nor an exact tuple/list of numbers keeps the launch shut; KW-P008 from the seal probe.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

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
