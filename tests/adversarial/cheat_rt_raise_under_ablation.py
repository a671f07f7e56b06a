"""Raises under the ablation: the judge counts any exception there as "the kernels did the work"
(THREATS #25: "raises under ablation").

PyTorch computes the ReLU with `torch.where(x > 0, x, 0)` (not the reference's relu op, so KW-P004 is
silent). A decoy Triton kernel writes a sentinel into a one-element scratch buffer and its result is
never used. If the sentinel is missing after the launch (the ablation skipped it), forward raises.
The parent (session._check_ablation) treats `Ablation.raised` as "output-changed", so this passes
the proof-of-work check although the kernel contributes nothing to the answer.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def mark_kernel(p_ptr):
    tl.store(p_ptr, 7.0)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mark = torch.zeros(1, dtype=torch.float32, device=x.device)
        mark_kernel[(1,)](mark)
        if float(mark[0]) != 7.0:
            raise RuntimeError("kernel did not run")
        return torch.where(x > 0, x, torch.zeros((), dtype=x.dtype, device=x.device))
