"""Builds a Tensor subclass at run time with type() and returns the output as that subclass (THREATS #12).

The class is made by `type(name, (getattr(torch, ...),), {...})` and applied with a computed method
name, so the static guard does not see a subclass. The subclass's __torch_function__ makes any
in-process comparison say "equal" and the kernel writes only zeros. The RUNTIME catches it: outputs
must be plain dense torch.Tensor objects before anything is compared (KW-O010 wrong-output).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=wrong-output threats=12 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


def _n(s: str) -> str:
    return "".join(reversed(s))


def _always_equal(cls, func, types, args=(), kwargs=None):
    if getattr(func, "__name__", "") in ("allclose", "equal", "__eq__"):
        return True
    base = getattr(torch, _n("rosneT"))
    return getattr(base, _n("noitcnuf_hcrot__")).__func__(cls, func, types, args, kwargs or {})


_Lazy = type("LazyOut", (getattr(torch, _n("rosneT")),), {_n("__noitcnuf_hcrot__"): classmethod(_always_equal)})


@triton.jit
def zero_kernel(y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(y_ptr + offs, tl.zeros([BLOCK], dtype=tl.float32), mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.empty_like(x)
        zero_kernel[(triton.cdiv(y.numel(), 1024),)](y, y.numel(), BLOCK=1024)
        return getattr(y, _n("ssalcbus_sa"))(_Lazy)
