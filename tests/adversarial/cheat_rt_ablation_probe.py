"""Detects the ablation with a probe kernel and answers from PyTorch otherwise (THREATS #6, #25).

The ablation flag is out of reach now, but an ablation can always be seen from inside: forward
launches a one-element probe kernel that writes 1.0; when the write did not happen, its launches are
being skipped, and it returns NaNs so that the ablation "changes" the output. Otherwise torch.relu
answers. The launch counts are genuine (the probe really runs), the ablation is passed; what gives
it away is the work: relu in forward's op trace (KW-P004/P006). The ablation proves influence only.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def probe_kernel(p_ptr):
    tl.store(p_ptr, 1.0)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        probe = torch.zeros(1, device=x.device)
        probe_kernel[(1,)](probe)
        if probe.item() != 1.0:
            return torch.full_like(x, float("nan"))
        return torch.relu(x)
