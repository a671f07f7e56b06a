"""torch.relu does the work; a Triton kernel writes zeros that are added to the result (THREATS #6).

A decoy that defeats the ablation run: the kernel fills a buffer with the additive identity (zeros)
and forward returns `torch.relu(x) + z`. When the judge skips the launch, `z` keeps its NaN-poisoned
uninitialised contents, the output changes, and the ablation concludes the kernel "does the work".
Launches are counted (no KW-P000), nothing raises (no KW-P002), and no static rule fires.

What SHOULD happen: rejected as reference-passthrough. The ablation proves a kernel *influences* the
output, not that it *computes* it. `--strict` catches this (torch.relu is a PyTorch compute op,
KW-P003); by default it is accepted. A default-mode check that would catch it: trace forward's aten
ops (worker/strict.py already does) and flag passthrough when the reference Model's own compute ops
all appear in the candidate's forward (here {relu} is a subset of {relu, add}; a vendor GEMM plus a
fused epilogue, mm vs linear+gelu, is not).

Caught now: forward runs every PyTorch compute op the reference runs (relu), which is reference passthrough whatever the kernel adds (KW-P004).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def zeros_kernel(z_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(z_ptr + offs, tl.zeros([BLOCK], dtype=tl.float32), mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = torch.empty_like(x)
        zeros_kernel[(triton.cdiv(z.numel(), 1024),)](z, z.numel(), BLOCK=1024)
        return torch.relu(x) + z
