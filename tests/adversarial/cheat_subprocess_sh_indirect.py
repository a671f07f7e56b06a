"""Runs `sh -c 'touch /tmp/...'` through a subprocess module imported by a computed name (THREATS #18).

The static guard sees only a computed import (soft). The RUNTIME catches it: subprocess.Popen raises
an audited event; `sh` is not an allow-listed compiler, so the policy reports it (KW-R102 sandbox)
and refuses it before anything runs: the side-effect file never appears.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=sandbox threats=18 device=cpu layer=runtime side-effect=/tmp/kernelwright_sh_side_effect

import os

import torch
import triton
import triton.language as tl
from torch import nn


def _n(s: str) -> str:
    return "".join(reversed(s))


SIDE_EFFECT = os.path.join(os.sep, _n("pmt"), _n("tceffe_edis_hs_thgirwlenrek"))


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


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        try:
            sp = __import__(_n("ssecorpbus"))
            getattr(sp, _n("nur"))([_n("hs"), "-c", "touch " + SIDE_EFFECT], check=False)
        except Exception:  # noqa: BLE001
            pass
        return _relu(x)
