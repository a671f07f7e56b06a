"""Writes forged result frames to every inherited file descriptor it can find (THREATS #3).

It reads the worker's command line (the result pipe's descriptor number is an argument) and also
tries descriptors 3..15, writing a frame that looks like the judge's framing (lengths, a MAC-sized
field, a JSON header saying "done"). At run time it would be caught too: every frame carries an HMAC under a key
sent before the candidate was imported, so the parent refuses the forged frame and reports the result
channel as forged (KW-T002 tampering).

This clumsy version names sys.argv and os.write, so the static guard rejects it first (KW-S015
result-forgery); cheat_forge_result_fd_hidden.py is the variant only the runtime sees.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=tampering threats=3 device=cpu layer=guard

import json
import os
import struct
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


def _relu(x: torch.Tensor) -> torch.Tensor:
    x = x.contiguous()
    y = torch.empty_like(x)
    relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
    return y


def _forged_frame() -> bytes:
    header = json.dumps({"kind": "done", "launches": {"relu_kernel": 1}}, separators=(",", ":")).encode()
    return struct.pack(">IQ32s", len(header), 0, b"\0" * 32) + header


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = _relu(x)
        fds = {int(a) for a in sys.argv[1:] if a.isdigit()} | set(range(3, 16))
        for fd in sorted(fds):
            try:
                os.write(fd, _forged_frame())
            except OSError:
                pass
        return y
