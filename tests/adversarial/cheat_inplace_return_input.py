"""Writes the answer into the input buffer and returns the input (THREATS #9).

No output allocation: the kernel applies ReLU in place on x and forward returns x itself. The values
are right. The RUNTIME catches it: the worker sends the inputs back after every call and the parent
compares them with the reference's copy, bit for bit (KW-O002 input-mutation).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=input-mutation threats=9 device=cpu layer=runtime

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
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, x, x.numel(), BLOCK=1024)
        return x
