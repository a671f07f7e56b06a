"""On a GPU: rewrites elapsed_time of the torch.cuda.Event class to claim a sub-roofline time (THREATS #2, #17).

A candidate cannot make the judge measure a time below the hardware floor directly; the only way is to
corrupt the measurement. This one sets `elapsed_time` on the Event class with an assignment hidden
in a reversed string run by exec (the static guard notes dynamic code, softly). The RUNTIME catches
it on a GPU: the worker snapshots the `torch.cuda.Event` class namespace before import (only where
CUDA is available) and reports the replaced method (KW-T001 tampering). The judge's own events come from `torch._C._CudaEventBase`
captured before import, and the roofline floor check (KW-E002) stands behind both.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=tampering threats=2,17 device=cuda layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


def _n(s: str) -> str:
    """Names are stored reversed so no literal names the target."""
    return "".join(reversed(s))

exec(_n("5-e1 :rehto ,fles adbmal = emit_despale.tnevE.aduc.hcrot"), {"torch": torch})


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
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
