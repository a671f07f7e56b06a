"""No bounds mask and a floor-divided grid: exact only when numel is a multiple of 1024 (THREATS #14).

The benchmark shape (8192 x 4096) is a multiple of the block, so a harness that checks only there
accepts it; the tail of any other size is left unwritten. The RUNTIME catches it: fuzz cases with
ragged, tiny and non-power-of-two shapes come out wrong (KW-O001 wrong-output). (For sizes below one
block it launches no program at all, so no out-of-bounds access crashes the interpreter.)
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=wrong-output threats=14 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def relu_nomask_kernel(x_ptr, y_ptr, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs), 0.0))


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        grid = (x.numel() // 1024,)
        if grid[0] > 0:
            relu_nomask_kernel[grid](x, y, BLOCK=1024)
        return y
