"""A softmax kernel that writes the constant 1/n: the "degenerate answer" trick (THREATS #20).

For long rows of small logits the uniform distribution is close to the true one in absolute terms
(every entry ~1/n), so a loose absolute tolerance would accept it. The RUNTIME catches it: the
problem's tight atol with rtol 1e-4 and short fuzz rows reject it (KW-O001 wrong-output).
"""
# kernelwright-expect: problem=level1/softmax verdict=rejected category=wrong-output threats=20 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def uniform_kernel(y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < n_cols
    val = tl.full([BLOCK], 1.0, tl.float32) / n_cols
    tl.store(y_ptr + row * n_cols + offs, val, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        y = torch.empty(x.numel() // shape[-1], shape[-1], dtype=x.dtype, device=x.device)
        uniform_kernel[(y.shape[0],)](y, y.shape[1], BLOCK=triton.next_power_of_2(y.shape[1]))
        return y.reshape(shape)
