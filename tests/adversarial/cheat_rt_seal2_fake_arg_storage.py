"""A non-tensor launch argument with a data_ptr attribute: the interpreter's _to_cpu calls its
untyped_storage() inside the launch, with the seal open. NumPy does the relu there.

Red team, second round against the seal (worker/seal.py), after the first round's fixes. Now: a launch given anything but plain tensors, numbers, strings, dtypes, Triton's own values and kernels (exact containers of those) runs with the seal shut; KW-P008 from the seal probe.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def touch_kernel(x_ptr, y_ptr, h_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)


class _Handle:
    """Looks like a tensor to Triton's interpreter (hasattr data_ptr)."""

    def __init__(self, x, y):
        self._x, self._y = x, y

    def data_ptr(self):
        return self._y.data_ptr()

    def untyped_storage(self):
        np.maximum(self._x.numpy(), 0.0, out=self._y.numpy())
        return self._y.untyped_storage()

    def storage_offset(self):
        return 0

    def size(self):
        return self._y.size()

    def stride(self):
        return self._y.stride()

    def new_empty(self, *a, **k):
        return self._y.new_empty(*a, **k)

    @property
    def dtype(self):
        return self._y.dtype


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        touch_kernel[(1,)](x, y, _Handle(x, y), n, BLOCK=1024)
        return y
