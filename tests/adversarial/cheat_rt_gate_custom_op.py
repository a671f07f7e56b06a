"""Hides the PyTorch work inside a `torch.library` custom op (THREATS #6, #25: "hides ops from the trace").

The op log's TorchDispatchMode sees the custom op `kwcheat::clamp_relu` as one opaque call and runs its
body with the mode popped (a mode is never active inside its own handler), so the `clamp` and the gate's
`mul` inside are never logged by the mode. A one-element gate kernel makes the ablation output change. The profiler
half of the op trace (RecordFunction, worker/strict.py) sees `aten::clamp` inside the custom op's body
and the default op policy rejects it (KW-P006). One step weaker, a trace made of the dispatch mode
alone, accepts this file.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@torch.library.custom_op("kwcheat::clamp_relu", mutates_args=())
def clamp_relu(x: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
    return torch.clamp(x, min=0.0) * gate


@triton.jit
def gate_kernel(g_ptr):
    tl.store(g_ptr, 1.0)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.empty(1, dtype=x.dtype, device=x.device)
        gate_kernel[(1,)](gate)
        return torch.ops.kwcheat.clamp_relu(x, gate)
