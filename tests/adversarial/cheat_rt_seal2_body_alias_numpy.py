"""KW-S091 evasion: in a kernel body, a call whose root is a *local* name is taken for a method of a
kernel value (`x.to(...)`). `lib = np` makes NumPy local; `lib.maximum(v.handle.data, 0, out=...)`
then passes the guard, and under the interpreter NumPy does the relu on the loaded values.

Red team, second round against the seal (worker/seal.py), after the first round's fixes. Now: the static guard names a module aliased in a kernel body and reads of `.handle`/`.data` (KW-S091, compile-error).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=compile-error threats=6,25 device=cpu layer=guard

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    v = tl.load(x_ptr + offs, mask=m, other=0.0)
    lib = np
    lib.maximum(v.handle.data, 0.0, out=v.handle.data)
    tl.store(y_ptr + offs, v, mask=m)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
