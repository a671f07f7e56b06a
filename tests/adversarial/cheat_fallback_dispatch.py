"""A hidden fallback: a dispatcher tries implementations in order and swallows failures (THREATS #7).

The launch lives in one helper, the PyTorch op is looked up with getattr and a computed name, and the
try/except sits in a generic loop, so the static guard's fallback rule does not connect them. The
kernel call is broken (an argument is missing), so it always raises and torch answers. The RUNTIME
catches it: the launch ledger records every launch that raised, and forward returning anyway means a
fallback ran (KW-P002 reference-passthrough).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=7 device=cpu layer=runtime

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


def _kernel_path(x: torch.Tensor) -> torch.Tensor:
    y = torch.empty_like(x)
    relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, BLOCK=1024)  # missing n: always raises
    return y


_IMPLS = [_kernel_path, getattr(torch, _n("uler"))]


def _first_that_works(x: torch.Tensor) -> torch.Tensor:
    for impl in _IMPLS:
        try:
            return impl(x)
        except Exception:  # noqa: BLE001, S112
            continue
    raise RuntimeError("no implementation worked")


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _first_that_works(x.contiguous())
