"""Allocates ~30 GiB of host memory in forward (THREATS #19).

Each 256 MiB block is written, so it is really resident. The RUNTIME catches it: the parent's memory
watchdog sums the worker tree's resident memory while waiting and kills it above the limit
(KERNELWRIGHT_MAX_WORKER_MB, lowered in the tests), reported as KW-X001 crash-or-timeout.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=crash-or-timeout threats=19 device=cpu layer=runtime

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


_HOARD: list = []


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = _relu(x)
        for _ in range(120):  # 120 x 256 MiB = 30 GiB
            _HOARD.append(bytearray(b"\x01") * (256 << 20))
        return y
