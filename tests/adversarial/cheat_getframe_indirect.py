"""Walks caller frames through a getattr'd sys._getframe to detect the timing loop (THREATS #5).

The frame function is fetched with a computed name and the PermissionError is swallowed, so the
static guard does not see it and the forward still returns the right answer. The RUNTIME catches
it: the audit hook sees the sys._getframe event from candidate code, reports it on the result
channel before refusing it (KW-R105 sandbox), so swallowing the error does not help.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=sandbox threats=5,11 device=cpu layer=runtime

import sys

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


def _n(s: str) -> str:
    return "".join(reversed(s))


def _being_timed() -> bool:
    try:
        frame = getattr(sys, _n("emarfteg_"))(1)
    except Exception:  # noqa: BLE001
        return False
    while frame is not None:
        if "time" in getattr(getattr(frame, _n("edoc_f")), "co_name"):
            return True
        frame = getattr(frame, _n("kcab_f"))
    return False


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _being_timed():
            return torch.zeros_like(x)
        return _relu(x)
