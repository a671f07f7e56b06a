"""The kernel-body cheat one step further: the plain Python helper reaches the kernel as a constexpr
argument, so the static guard sees only a call to a parameter (Triton allows constexpr callables that
are jit functions). Under the interpreter the body calls it with the seal open.

Now: a launch given a plain Python callable (not a jit function, not one of Triton's own) runs with
the seal shut (worker/seal.py), so the helper reads NaN; KW-P008 from the seal probe. The look-alike
that stays inside the rules: legit_constexpr_jit_activation (a jit function as the constexpr).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

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
def body_kernel(x_ptr, y_ptr, n, FN: tl.constexpr, BLOCK: tl.constexpr):
    FN()


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        _STASH["x"], _STASH["y"] = x, y
        body_kernel[(1,)](x, y, x.numel(), FN=_helper, BLOCK=16)
        _STASH.clear()
        return y
