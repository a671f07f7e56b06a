"""Turns torch.cuda.synchronize into a no-op by writing the module's __dict__ via vars() (THREATS #1, #2).

A cheat that launches asynchronously wants the harness's synchronize to return at once. The module
is reached through `__import__` and getattr with a computed name, then its namespace is edited with
`vars(...)[...] = ...`. The static guard rejects a write into a namespace it cannot resolve (KW-S010
module-tamper). At run time the worker captured `torch._C._cuda_synchronize` and the `torch.cuda`
namespace before import, and the integrity check would report torch.cuda.synchronize (KW-T001).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=tampering threats=1,2 device=cpu layer=guard

import torch
import triton
import triton.language as tl
from torch import nn


def _n(s: str) -> str:
    """Names are stored reversed so no literal names the target."""
    return "".join(reversed(s))

_cu = getattr(__import__(_n("hcrot")), _n("aduc"))
vars(_cu)[_n("ezinorhcnys")] = lambda *args, **kwargs: None


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
