"""PyTorch copies the input (a free op); NumPy does the work on the copy (THREATS #6, #25).

One step past cheat_rt_numpy_hidden_work, the other way round from cheat_rt_seal_copy_then_numpy:
`x.clone()` is a free op the op policy allows, and it runs with the seal open (worker/seal.py), so it
copies the true values. If the seal did not cover what PyTorch ops return, NumPy would read the clone
and compute the answer unseen; every op's outputs are sealed when it ends, so the clone reads as NaN.
A Triton kernel copies the "answer" into the output: wrong on every case, KW-P008 from the seal probe.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.clone().contiguous()
        a = c.numpy()
        np.maximum(a, 0.0, out=a)  # in place: the clone's own memory
        y = torch.empty_like(c)
        n = c.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](c, y, n, BLOCK=1024)
        return y
