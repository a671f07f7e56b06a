"""A softmax kernel that writes zeros: every probability is tiny for long rows (THREATS #20).

With 32000 columns each probability is ~3e-5, below the generic fp32 atol of 1e-4, so an all-zero
output would pass a lax harness on that shape. The RUNTIME catches it: this problem declares a tight
atol (1e-6) for exactly this reason, the fuzz cases include short rows, and the reference output is
screened for degeneracy (KW-W001 would warn on a degenerate problem). Here it is KW-O001 wrong-output.
"""
# kernelwright-expect: problem=level1/softmax verdict=rejected category=wrong-output threats=20 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def zeros_kernel(y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(y_ptr + offs, tl.zeros([BLOCK], dtype=tl.float32), mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.empty_like(x)
        zeros_kernel[(triton.cdiv(y.numel(), 1024),)](y, y.numel(), BLOCK=1024)
        return y
