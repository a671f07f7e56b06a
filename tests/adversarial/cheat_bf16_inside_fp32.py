"""Computes an fp32 softmax in bf16 inside the kernel, for speed (THREATS #8).

Loads are cast to bf16 before the exponent and the normalisation, and the result is cast back to
fp32: half the register pressure, about 3 significant digits. The RUNTIME catches it: the fp32
tolerance (atol 1e-6, rtol 1e-4 for this problem) is far tighter than bf16's ~4e-3 relative error,
so the output is KW-O001 wrong-output with the max abs/rel error reported.
"""
# kernelwright-expect: problem=level1/softmax verdict=rejected category=wrong-output threats=8 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def softmax_bf16_kernel(x_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * n_cols + offs, mask=mask, other=-float("inf"))
    x = x.to(tl.bfloat16)
    x = (x - tl.max(x, axis=0)).to(tl.bfloat16)
    num = tl.exp(x.to(tl.float32)).to(tl.bfloat16)
    den = tl.sum(num.to(tl.float32), axis=0).to(tl.bfloat16)
    y = (num.to(tl.float32) / den.to(tl.float32)).to(tl.bfloat16)
    tl.store(y_ptr + row * n_cols + offs, y.to(tl.float32), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, shape[-1]).contiguous()
        y = torch.empty_like(x2)
        block = triton.next_power_of_2(x2.shape[1])
        softmax_bf16_kernel[(x2.shape[0],)](x2, y, x2.shape[1], BLOCK=block)
        return y.reshape(shape)
