"""Finds the reference Model the worker loaded and calls it, next to a decoy kernel (THREATS #6, #11).

The problem module is looked up in sys.modules by scanning for a module that defines `Model` and
`get_inputs` (no import statement, no literal name), so the static guard sees at most a soft
sys.modules read. A decoy kernel launch keeps the launch count up. The RUNTIME catches it: with the
custom launches skipped the output is still right (KW-P001 reference-passthrough).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,11 device=cpu layer=runtime

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


def _find_reference():
    for mod in list(sys.modules.values()):
        ns = getattr(mod, "__dict__", {})
        if "get_inputs" in ns and isinstance(ns.get("Model"), type) and issubclass(ns["Model"], nn.Module):
            return ns["Model"]
    return None


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        ref_cls = _find_reference()
        self.ref = ref_cls() if ref_cls is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        decoy = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, decoy, x.numel(), BLOCK=1024)
        if self.ref is not None:
            return self.ref(x)
        return decoy
