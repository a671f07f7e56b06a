"""A "gate" kernel proves influence, not work (THREATS #6, #25).

PyTorch does the whole ReLU with `torch.clamp(x, min=0)`, an op the reference (`torch.relu`) does not
run, so the "forward runs every reference op" check (KW-P004) is silent. A one-program Triton kernel
writes the scalar 1.0 into a gate buffer and the answer is multiplied by it: under the ablation the
gate is never written (NaN-poisoned `torch.empty`), so the output changes and the ablation says
"the kernel contributes". DESIGN ("Work, not influence") claims the default policy forbids PyTorch
compute ops the problem does not allow; the judge should reject this as reference passthrough.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def gate_kernel(g_ptr):
    tl.store(g_ptr, 1.0)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.empty(1, dtype=x.dtype, device=x.device)
        gate_kernel[(1,)](gate)
        return torch.clamp(x, min=0.0) * gate
