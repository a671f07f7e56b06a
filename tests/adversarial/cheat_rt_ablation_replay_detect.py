"""Recognises the ablation call by its inputs: it is a case already seen twice (THREATS #25, #26).

The ablation used to run on `cases[reuse_index]`, the very input of the largest case, which the
repeat check replays once. forward keeps a fingerprint (shape and sum) of every input it sees, hidden
in a closure; the third sighting of the same fingerprint was the ablation, and there it returns NaNs.
On every other call PyTorch answers (`torch.where`, not the reference's relu, so KW-P004 is silent)
next to a decoy kernel on scratch memory. Now the ablation has fresh inputs of its own (another salt)
and runs before a case picked at random: no fingerprint is seen a third time, the ablation call gets
the PyTorch answer with the kernels skipped, and the output does not change (KW-P001).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25,26 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def scratch_kernel(p_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(p_ptr + offs, offs.to(tl.float32), mask=offs < n)


def _n(s: str) -> str:
    return "".join(reversed(s))


def _make_counter():
    def seen(x, _store={}):  # noqa: B006 - the store is the point
        k = (tuple(getattr(x, _n("epahs"))), round(float(getattr(x, _n("mus"))()), 3))
        _store[k] = _store.get(k, 0) + 1
        return _store[k]

    return seen


_seen = _make_counter()


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scratch = torch.empty(64, device=x.device)
        scratch_kernel[(1,)](scratch, 64, BLOCK=64)
        if _seen(x) == 3:
            return torch.full_like(x, float("nan"))
        return torch.where(x > 0, x, torch.zeros((), dtype=x.dtype, device=x.device))
