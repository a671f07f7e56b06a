"""The finalizer trick of cheat_rt_seal3_finalizer_in_aten_op on matmul: NumPy's matmul in a finalizer
fired by a free inside a genuine aten op, a copy kernel returns the result. Now: the window watcher.

Red team, third round against the seal (worker/seal.py), after the second round's fixes.
Its author's note: Matmul: the c06 finalizer trick. NumPy does A @ B inside the free of a from_numpy storage that
`t.set_()` (FREE aten op, seal open) triggers; a Triton kernel only copies scratch -> C.
"""
# kernelwright-expect: problem=level1/matmul verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime
import weakref

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn

_job = []


def _fin():
    if _job:
        a, b, tmp = _job.pop()
        np.matmul(a.numpy(), b.numpy(), out=tmp.numpy())


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


def _make():
    arr = np.empty(1, np.float32)
    weakref.finalize(arr, _fin)
    return torch.from_numpy(arr)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = [_make() for _ in range(2000)]

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        a = a.contiguous()
        b = b.contiguous()
        c = torch.empty(a.shape[0], b.shape[1], dtype=a.dtype)
        tmp = torch.empty_like(c)
        _job[:] = [(a, b, tmp)]
        self.pool.pop().set_()
        n = c.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](tmp, c, n, BLOCK=1024)
        return c
