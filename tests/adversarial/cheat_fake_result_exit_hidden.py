"""Prints a result-looking verdict line and exits with status 0 mid-run via a hidden os._exit (THREATS #3).

A harness that scrapes stdout for a JSON result, or treats exit status 0 as success, would record an
accepted, very fast kernel. The RUNTIME catches it: results travel only on an authenticated pipe, the
worker's stdout goes to a log, and a worker that exits before its "done" message is a crash
(KW-X001 "exited early with status 0"), whatever it printed. The exit function is fetched with a
computed name, so the static guard's result-forgery rule does not see it.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=crash-or-timeout threats=3 device=cpu layer=runtime

import json
import os
import sys

import torch
import triton
import triton.language as tl
from torch import nn


def _n(s: str) -> str:
    return "".join(reversed(s))


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
        y = _relu(x)
        fake = {"schema": "kernelwright.verdict/1", "verdict": "accepted", "category": None, "reasons": [],
                "timing": {"candidate_ms": 0.001, "eager_ms": 1.0, "speedup_vs_eager": 1000.0}}
        print(json.dumps(fake))
        print("RESULT: PASS speedup=1000.0x")
        sys.stdout.flush()
        getattr(os, _n("tixe_"))(0)
        return y
