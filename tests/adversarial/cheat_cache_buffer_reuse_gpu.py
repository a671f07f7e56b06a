"""On a GPU: replays the output when the judge hands back the same input buffer (THREATS #4).

A weak map from input buffers to outputs, keyed by the storage address through a computed attribute
name (the static guard does not resolve it). Correctness cases always use new buffers, so they pass;
the judge's timed calls refill the previous call's buffers in place every other call, and this cache
then replays a stale answer. The RUNTIME catches it: every timed call's output is checked at secret
positions (KW-O004 wrong-output). On the CPU there is no timing phase, hence device=cuda.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=wrong-output threats=4,5 device=cuda layer=runtime

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


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.seen = [None, None, None]  # (address, input tensor, output)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        addr = getattr(x, _n("rtp_atad"))()
        prev_addr, prev_x, prev_y = self.seen
        if prev_x is x and prev_addr == addr:
            return prev_y
        y = _relu(x)
        self.seen[:] = [addr, x, y]
        return y
