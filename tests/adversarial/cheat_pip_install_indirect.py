"""Runs pip's own entry point in-process, imported by a computed name (THREATS #18).

No subprocess: `pip._internal.cli.main.main(["install", ...])` is called in the worker. The static
guard sees a computed import (soft). The RUNTIME catches it: pip needs the network (socket creation
is an audited event the policy refuses, KW-R103) and writes outside the private directory (KW-R101);
either is a sandbox violation. The exception is swallowed; the reports are already sent.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=sandbox threats=18 device=cpu layer=runtime

import importlib
import os

import torch
import triton
import triton.language as tl
from torch import nn


def _n(s: str) -> str:
    return "".join(reversed(s))


try:
    _pip_main = getattr(importlib.import_module(_n("niam.ilc.lanretni_.pip")), _n("niam"))
    _pip_main([_n("llatsni"), "--quiet", "--no-cache-dir", "--target", os.path.join(os.sep, "usr", "lib", "kw"),
               "fast-relu-kernels"])
except BaseException:  # noqa: BLE001 - pip raises SystemExit
    pass


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
        return _relu(x)
