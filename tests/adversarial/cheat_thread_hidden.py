"""Fills the output from a thread started through a module imported by a computed name (THREATS #13).

The static guard sees only a computed import (soft). The RUNTIME catches it twice: the output is
snapshotted right after forward returns (still NaN-poisoned, KW-O001), and a thread still running
after forward returned is a sandbox violation (KW-R106), which ranks first.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=sandbox threats=13 device=cpu layer=runtime

import importlib

import torch
import triton
import triton.language as tl
from torch import nn


def _n(s: str) -> str:
    return "".join(reversed(s))


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


_threads = importlib.import_module(_n("gnidaerht"))
_sleep = getattr(importlib.import_module(_n("emit")), _n("peels"))


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)

        def fill() -> None:
            _sleep(0.2)
            relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)

        getattr(_threads, _n("daerhT"))(target=fill, daemon=True).start()
        return y
