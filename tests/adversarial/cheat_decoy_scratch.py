"""Launches a real kernel on a scratch buffer, then returns torch.relu (THREATS #6).

The kernel runs on every call (so "no kernel ran" does not catch it) but its output is discarded. The
RUNTIME catches it: the ablation run skips every custom launch and forward still returns the right
answer, so the kernel does not do the work (KW-P001 reference-passthrough).
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
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        scratch = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, scratch, x.numel(), BLOCK=1024)
        return torch.relu(x)
