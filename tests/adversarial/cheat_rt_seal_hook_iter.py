"""Idea: run our own code inside the seal's audit hook while it is open. At a launch's CLOSE the hook
walks the wrapper's `kwargs` (tensors(kwargs)) BEFORE it decrements `opened` and re-seals. An extra
keyword argument that Triton's interpreter silently drops (not a kernel parameter) can be a list
subclass whose __iter__ runs arbitrary Python: there, with every storage open, NumPy writes relu(x)
into y; the hook then saves y's bytes (our result) as its shadow and restores them at the end. The
kernel itself is a no-op.

Red team (this round), against the seal on the CPU (worker/seal.py). Now: the seal walks only exact lists, tuples and dicts (no candidate `__iter__` runs in its hook); wrong on every case, and wrong open too (the probe's open run has no seal hook to ride).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=wrong-output threats=6,25 device=cpu layer=runtime

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def touch_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)  # noqa: F841 - the kernel does nothing on purpose


class _Spy(list):
    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y

    def __iter__(self):
        xn = self.x.view(-1).numpy()
        if not np.isnan(xn).any():  # the seal is open right now
            np.maximum(xn, 0.0, out=self.y.view(-1).numpy())
        return iter(())


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        touch_kernel[(1,)](x, y, x.numel(), BLOCK=16, spy=_Spy(x, y))
        return y
