"""Runs a shell through subprocess (THREATS #18).

The clumsy version, caught by the static guard (KW-S030 process-spawn). At run time the audit hook
refuses every executable that is not an allow-listed compiler (KW-R102 sandbox), so the
side-effect file is never written.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=sandbox threats=18 device=cpu layer=guard side-effect=/tmp/kernelwright_adversarial_sh_pwned

import subprocess

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


def _relu(x: torch.Tensor) -> torch.Tensor:
    x = x.contiguous()
    y = torch.empty_like(x)
    relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
    return y


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        subprocess.run(["sh", "-c", "id > /tmp/kernelwright_adversarial_sh_pwned"], check=False)
        return _relu(x)
