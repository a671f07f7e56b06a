"""Output depends on the call's parity: every other call skips the last block (THREATS #15).

Looks like a flaky race: half the calls are right. The RUNTIME catches it: every case is checked,
and the same input is run twice and must agree (KW-O001 / KW-O003 wrong-output).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=wrong-output threats=15 device=cpu layer=runtime

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
        self.flip = [False]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        self.flip[0] = not self.flip[0]
        n = x.numel()
        programs = triton.cdiv(n, 1024)
        relu_kernel[(programs,)](x, y, n - (n + 1) // 2 * int(self.flip[0]), BLOCK=1024)
        return y
