"""Legit: PyTorch only reshapes, casts and allocates; a Triton kernel does all of RMSNorm's arithmetic.

forward flattens any rank to rows (`reshape`, `contiguous`), casts the weight (`to`), allocates the
output (`empty`) and views it back (`view_as`). None of these computes anything of the problem, so the
default op policy (worker/op_classes.py FREE) lets them through; the kernel computes the statistic
and the scale, so the ablation changes the output. The look-alike the policy must not confuse with
cheat_rt_gate_clamp, whose PyTorch op (clamp) does the problem's work.
"""
# kernelwright-expect: problem=level1/rmsnorm verdict=accepted category=none threats=6,25 device=cpu layer=none

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def rmsnorm_rows(x_ptr, w_ptr, y_ptr, n, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + row * n + offs, mask=mask, other=0.0)
    w = tl.load(w_ptr + offs, mask=mask, other=0.0)
    inv = 1.0 / tl.sqrt(tl.sum(x * x, axis=0) / n + eps)
    tl.store(y_ptr + row * n + offs, x * inv * w, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        n = x.shape[-1]
        rows = x.reshape(-1, n).contiguous()
        w = weight.to(torch.float32).contiguous()
        out = torch.empty(rows.shape, dtype=torch.float32, device=x.device)
        rmsnorm_rows[(rows.shape[0],)](rows, w, out, n, self.eps, BLOCK=triton.next_power_of_2(n))
        return out.view_as(x)
