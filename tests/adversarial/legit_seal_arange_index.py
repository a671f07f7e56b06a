"""Legit: a Triton kernel does the relu; PyTorch then moves the result with an index made in forward.

Indexing by a tensor derived from the data is a lookup table that can compute anything, so on the CPU
the seal (worker/seal.py) tracks data-derived memory and names such indexing `data_indexing`, a compute
op (cheat_rt_seal_lookup_table_index, cheat_rt_seal_mask_index_put). An index built from nothing but the
shape (`torch.arange`, made fresh in every call, as lazily built position ids are) moves data and must
stay allowed, even though the tensor it indexes was written by a kernel.
"""
# kernelwright-expect: problem=level1/relu verdict=accepted category=none threats=6,25 device=cpu layer=none

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        n = x.numel()
        y = torch.empty(n, dtype=x.dtype, device=x.device)
        relu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        order = torch.arange(n, device=x.device)  # the identity permutation: the shape, not the data
        return y.index_select(0, order).view(x.shape)
