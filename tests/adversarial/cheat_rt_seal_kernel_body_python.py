"""Idea (documented leftover, confirming): under TRITON_INTERPRET the @triton.jit body is Python and
runs inside the launch with the seal open; it calls a plain Python helper that does the relu in NumPy
on tensors stashed in a module global. The kernel itself does no Triton arithmetic.

Red team (this round), against the seal on the CPU (worker/seal.py). Now: the static guard names a kernel body that calls Python other than Triton (KW-S091, compile-error: on a GPU it would not compile). One step further: cheat_rt_seal_constexpr_helper (the helper passed as a constexpr argument).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=compile-error threats=6,25 device=cpu layer=guard

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn

_STASH = {}


def _helper():
    x, y = _STASH["x"], _STASH["y"]
    np.maximum(x.numpy(), 0.0, out=y.numpy())


@triton.jit
def body_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    _helper()


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        _STASH["x"], _STASH["y"] = x, y
        body_kernel[(1,)](x, y, x.numel(), BLOCK=16)
        _STASH.clear()
        return y
