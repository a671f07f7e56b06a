"""Uses the weight input as scratch space for per-row statistics (THREATS #9).

An RMSNorm whose first kernel stores each row's 1/rms into the first elements of the weight tensor
(to avoid allocating a buffer) after reading the weight it needs... except rows overwrite weight
entries other rows still read. Even where the output came out right, the input changed. The RUNTIME
catches it: inputs are compared bit for bit after every call (KW-O002 input-mutation); wrong outputs
(KW-O001) rank below it.
"""
# kernelwright-expect: problem=level1/rmsnorm verdict=rejected category=input-mutation threats=9 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def rms_kernel(x_ptr, w_ptr, n_cols, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * n_cols + offs, mask=mask, other=0.0)
    rstd = 1.0 / tl.sqrt(tl.sum(x * x, axis=0) / n_cols + eps)
    tl.store(w_ptr + row % n_cols, rstd)  # scratch in the weight tensor


@triton.jit
def scale_kernel(x_ptr, w_ptr, y_ptr, n_cols, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * n_cols + offs, mask=mask, other=0.0)
    w = tl.load(w_ptr + offs, mask=mask, other=0.0)
    rstd = 1.0 / tl.sqrt(tl.sum(x * x, axis=0) / n_cols + eps)
    tl.store(y_ptr + row * n_cols + offs, x * rstd * w, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, shape[-1]).contiguous()
        y = torch.empty_like(x2)
        block = triton.next_power_of_2(x2.shape[1])
        scale_kernel[(x2.shape[0],)](x2, weight, y, x2.shape[1], self.eps, BLOCK=block)
        rms_kernel[(x2.shape[0],)](x2, weight, x2.shape[1], self.eps, BLOCK=block)
        return y.reshape(shape)
