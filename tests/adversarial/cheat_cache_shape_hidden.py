"""Replays the first output computed for each shape, with the cache hidden in a closure (THREATS #4).

The lookup key is built by a helper from `getattr(x, name)` with a computed name, and the store
lives in a default-argument dict of a nested function, so the static guard does not see a
fingerprint-keyed output cache. The RUNTIME catches it: fuzz shapes repeat with fresh values (and on
a GPU the benchmark shape repeats across seeds and timed calls), every output is compared in the
parent, so the replayed answers are wrong (KW-O001); and when the ablation runs after its shape was
seen (its position is the judge's secret) forward launches no custom kernel there at all (KW-P000),
which outranks wrong-output.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough|wrong-output threats=4 device=cpu layer=runtime

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


def _make_memo():
    def memo(x, compute, _store={}):  # noqa: B006 - the store is the point
        k = str(getattr(x, _n("epahs")))
        if k not in _store:
            _store[k] = compute(x)
        return _store[k]

    return memo


_memo = _make_memo()


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _memo(x, _relu)
