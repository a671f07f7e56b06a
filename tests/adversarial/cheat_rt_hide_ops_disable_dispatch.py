"""Switches the Python dispatch key off around the work (THREATS #25: "hides ops from the trace").

`torch._C._DisableTorchDispatch()` skips every TorchDispatchMode (and tensor subclass) for the ops
inside it, so the op log's mode never sees `torch.relu`; a one-element gate kernel makes the ablation
output change. The profiler half of the op trace (worker/strict.py) still records `aten::relu`, with
no dispatch-mode event under it: forward ran an op outside the trace (KW-P007), and a compute op the
default policy forbids (KW-P006). One step weaker, the dispatch mode alone, accepts this file.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn

_off = getattr(torch._C, "_Disable" + "TorchDispatch")


@triton.jit
def gate_kernel(g_ptr):
    tl.store(g_ptr, 1.0)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.empty(1, dtype=x.dtype, device=x.device)
        gate_kernel[(1,)](gate)
        with _off():
            y = torch.relu(x) * gate
        return y
