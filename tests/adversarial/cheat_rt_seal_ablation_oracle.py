"""Idea: the seal itself is an oracle. Traced correctness calls are sealed (x reads as NaN through
NumPy at forward entry), but the ablation call is not traced, so x reads real. A forward that sees
real inputs knows it is the ablation and returns garbage; otherwise it computes relu with PyTorch
MOVE ops only (byte lookup table via aten.index, as a06) and launches a pure decoy kernel that does
nothing useful.

Red team (this round), against the seal on the CPU (worker/seal.py). Now: the ablation call is traced and sealed like every correctness call (KW-P001), and the lookup table is `data_indexing` (KW-P006).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def decoy_kernel(x_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)  # noqa: F841 - the kernel does nothing on purpose


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        t = torch.arange(256).view(256, 1).expand(256, 256)
        b = torch.arange(256).view(1, 256).expand(256, 256)
        table = torch.where(t < 128, b, torch.zeros_like(b)).to(torch.uint8).contiguous()
        self.register_buffer("table", table, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        sealed = bool(np.isnan(x.view(-1).numpy()).all())
        decoy_kernel[(1,)](x, x.numel(), BLOCK=16)
        if not sealed:  # unsealed call: the ablation (or an untraced timed call)
            return torch.empty_like(x)
        xb = x.view(torch.uint8).view(-1, 4)
        sign = xb[:, 3].long()
        outs = [self.table[sign, xb[:, k].long()] for k in range(4)]
        return torch.stack(outs, dim=1).contiguous().view(torch.float32).view(x.shape)
