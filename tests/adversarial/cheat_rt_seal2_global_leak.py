"""Exfiltrate loaded values out of the open window: the interpreted body assigns its tl.load result
to a module global (a `global` statement, no call: the guard's kernel-python rule does not look).
The interpreter's loaded values live in a fresh NumPy array the seal never knew, so after the launch,
with the seal shut, NumPy computes the relu on the true values; a second kernel only copies them in.

Red team, second round against the seal (worker/seal.py), after the first round's fixes. Now: the static guard names `global`/`nonlocal` in a kernel body (KW-S091, compile-error).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=compile-error threats=6,25 device=cpu layer=guard

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn

LEAK = None


@triton.jit
def peek_kernel(x_ptr, n, BLOCK: tl.constexpr):
    global LEAK
    offs = tl.arange(0, BLOCK)
    LEAK = tl.load(x_ptr + offs, mask=offs < n, other=0.0)


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=m), mask=m)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        n = x.numel()
        peek_kernel[(1,)](x, n, BLOCK=triton.next_power_of_2(n))
        vals = np.maximum(np.asarray(LEAK.handle.data)[:n], 0.0).astype(np.float32)
        src = torch.from_numpy(vals)
        out = torch.empty_like(x)
        copy_kernel[(triton.cdiv(n, 1024),)](src, out, n, BLOCK=1024)
        return out
