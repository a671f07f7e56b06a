"""Defines a Triton kernel but never launches it; forward calls torch.relu (THREATS #6).

The kernel is there to look like the work. The RUNTIME catches it: the launch ledger counts every
Triton launch in forward; none ran, so the output came from PyTorch (KW-P000 reference-passthrough).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6 device=cpu layer=runtime

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
    def __init__(self) -> None:
        super().__init__()
        self.kernel = relu_kernel  # "used"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)
