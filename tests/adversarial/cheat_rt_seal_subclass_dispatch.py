"""NumPy work hidden in a tensor subclass's `__torch_dispatch__`, which runs inside a PyTorch op
(THREATS #6, #25).

The seal (worker/seal.py) is open while a PyTorch op runs. A tensor subclass's `__torch_dispatch__` is
the candidate's own Python, called from inside the op the judge's dispatch mode passes on: if the
seal opened around any op, this one would read the true input there, compute relu in NumPy and hand
the answer back as the result of a harmless `clone`. The seal opens only around aten ops whose tensors
are all plain, so the subclass's code reads NaN: wrong on every case, KW-P008 from the seal probe.

The class is built at run time; written as a class statement, the static guard names it first
(KW-S060, tampering).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


def _n(s: str) -> str:
    return "".join(reversed(s))


_Base = getattr(torch, _n("rosneT"))
_wrap = getattr(_Base, _n("ssalcbus_repparw_ekam_"))


def _new(cls, inner):  # noqa: ANN001, ANN202
    obj = _wrap(cls, inner.shape, dtype=inner.dtype, device=inner.device)
    obj.inner = inner
    return obj


def _peek(cls, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN202
    inner = args[0].inner
    return torch.from_numpy(np.maximum(inner.contiguous().numpy(), 0.0))


# Built at run time: the static guard names a class statement that subclasses a tensor (KW-S060).
Peek = type("Peek", (_Base,), {"__new__": staticmethod(_new), _n("__hctapsid_hcrot__"): classmethod(_peek)})


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = Peek(x.contiguous()).clone()
        y = torch.empty_like(x)
        n = x.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](r, y, n, BLOCK=1024)
        return y
