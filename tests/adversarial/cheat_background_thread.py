"""Returns an empty output and fills it from a background thread after forward returns (THREATS #13).

The timed region ends before the work is done. The clumsy version, caught by the static guard
(KW-S070 background-thread). At run time outputs are copied right after the synchronised call and the
thread count is watched (KW-R106).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=sandbox threats=13 device=cpu layer=guard

import threading
import time

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
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)

        def fill() -> None:
            time.sleep(0.05)
            relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)

        threading.Thread(target=fill, daemon=True).start()
        return y
