"""Walks the garbage collector for a tensor shaped like the answer (THREATS #11).

A harness that computes the expected output in the same process leaves it on the heap; this cheat
returns any float tensor of the right shape that it finds. The clumsy version, caught by the static
guard (KW-S021 gc-introspection). At run time gc.get_objects is refused (KW-R105), and the expected
outputs never exist in the candidate's process anyway.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=sandbox threats=11 device=cpu layer=guard

import gc

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


def _relu(x: torch.Tensor) -> torch.Tensor:
    x = x.contiguous()
    y = torch.empty_like(x)
    relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
    return y


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for obj in gc.get_objects():
            if isinstance(obj, torch.Tensor) and obj is not x and obj.shape == x.shape and bool((obj >= 0).all()):
                return obj
        return _relu(x)
