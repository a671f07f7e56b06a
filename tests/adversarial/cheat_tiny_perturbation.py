"""Computes with torch.relu and has a kernel add a tiny perturbation to the result (THREATS #6).

The kernel really writes the output (it adds 1e-7 to every element), so the output does depend on a
custom launch. The RUNTIME catches it: with the launch skipped, the torch result alone is still
within tolerance, so the kernel does not do the work (KW-P001 reference-passthrough).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def nudge_kernel(y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    y = tl.load(y_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, y + 1e-7, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(x).contiguous()
        nudge_kernel[(triton.cdiv(y.numel(), 1024),)](y, y.numel(), BLOCK=1024)
        return y
