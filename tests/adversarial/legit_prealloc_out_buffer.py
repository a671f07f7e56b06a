"""Legit: writes into an output buffer allocated once per shape and reused on every call.

A reused output buffer looks like a cached output, but the kernel overwrites all of it on every call.
The judge copies each output right after the call, so returning the same storage twice is fine.
"""
# kernelwright-expect: problem=level1/row_sum verdict=accepted category=none threats=4 device=cpu layer=none

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def row_sum_kernel(x_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    acc = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        acc += tl.load(x_ptr + row * n_cols + offs, mask=offs < n_cols, other=0.0)
    tl.store(y_ptr + row, tl.sum(acc, axis=0))


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self._out: dict[tuple, torch.Tensor] = {}

    def _buffer(self, shape: tuple, like: torch.Tensor) -> torch.Tensor:
        key = (shape, like.dtype, like.device)
        buf = self._out.get(key)
        if buf is None:
            buf = torch.empty(shape, dtype=like.dtype, device=like.device)
            self._out[key] = buf
        return buf

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lead, cols = tuple(x.shape[:-1]), x.shape[-1]
        x2 = x.reshape(-1, cols).contiguous()
        y = self._buffer(lead, x)
        block = min(1024, triton.next_power_of_2(cols))
        row_sum_kernel[(x2.shape[0],)](x2, y, cols, BLOCK=block)
        return y
