"""Rebuilds the judge's launch wrapper around a no-op and counts fake launches through it
(THREATS #6, #24).

The ledger's hook counts a launch event only when it is raised by the wrapper's own code object,
with the wrapper module's globals and the original `run`. A candidate can have all three without
touching the installed wrapper: `types.FunctionType(run.__code__, run.__globals__, ..., closure)`
with a closure whose first cell holds the genuine original and whose code path never reaches it.
That is not possible here (the same code calls what the cell holds), so the cheat gives the new
function a no-op original and hopes the hook checks the code only. Making a function from another
file's code is what the policy names: `function.__new__` carries the code object, labelled
worker/launches.py, so the construction itself is tampering (KW-R202). torch.relu does the work.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=tampering threats=6,24 device=cpu layer=runtime

import sys
import types

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=offs < n), mask=offs < n)


def _n(s: str) -> str:
    return "".join(reversed(s))


def _noop(*_args, **_kwargs):
    return None


def _cell(value):
    return (lambda: value).__closure__[0]


def _fake_run():
    interp = sys.modules.get(_n("reterpretni.emitnur.notirt"))
    run = getattr(getattr(interp, _n("noitcnuFdeterpretnI"), None), _n("nur"), None)
    code = getattr(run, _n("__edoc__"))
    return types.FunctionType(code, getattr(run, _n("__slabolg__")), "run", None, (_cell(_noop),))


_RUN = _fake_run()


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.empty_like(x)
        _RUN(relu_kernel, x, y, x.numel(), BLOCK=1024, grid=(1,))
        return torch.relu(x)
