"""Runs the PyTorch work on another thread, joined before forward returns (THREATS #6, #13, #25).

A TorchDispatchMode is thread-local: the op log's mode never sees `torch.relu` run by a worker thread,
and the thread is gone when forward returns, so the live-thread check (KW-R106) is silent too. A
one-element gate kernel makes the ablation output change. The op trace's profiler records every
thread (`profile_all_threads`, worker/strict.py): the relu it sees outside the mode is an op hidden
from the trace (KW-P007) and a compute op the default policy forbids (KW-P006). One step weaker, a
profiler on the calling thread only (its default), accepts this file.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,13,25 device=cpu layer=runtime

import importlib

import torch
import triton
import triton.language as tl
from torch import nn


def _n(s: str) -> str:
    return "".join(reversed(s))


_th = importlib.import_module(_n("gnidaerht"))


@triton.jit
def gate_kernel(g_ptr):
    tl.store(g_ptr, 1.0)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.empty(1, dtype=x.dtype, device=x.device)
        gate_kernel[(1,)](gate)
        box = []
        t = getattr(_th, _n("daerhT"))(target=lambda: box.append(torch.relu(x) * gate))
        t.start()
        t.join()
        return box[0]
