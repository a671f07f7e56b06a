"""`--strict`: which PyTorch compute ops a forward runs besides its custom kernels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

# Allocation, views and metadata: no arithmetic, so a kernel may use them freely under --strict.
NON_COMPUTE = frozenset(
    {
        "empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided", "view", "_unsafe_view",
        "reshape", "as_strided", "permute", "transpose", "t", "expand", "unsqueeze", "squeeze", "select",
        "slice", "detach", "alias", "clone", "contiguous", "_to_copy", "copy_", "lift_fresh", "split",
        "split_with_sizes", "unbind", "chunk", "narrow", "flatten", "unflatten", "zeros", "zeros_like",
        "ones", "ones_like", "full", "full_like", "fill_", "zero_", "new_zeros", "new_ones", "new_full",
        "arange", "sym_size", "sym_stride", "sym_numel", "size", "stride", "is_contiguous", "resize_",
        "set_", "_local_scalar_dense", "item", "view_as", "expand_as", "normal_", "uniform_",
    }
)  # fmt: skip


class _OpLog(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.ops: list[str] = []

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        name = func.overloadpacket.__name__
        if name not in NON_COMPUTE and name not in self.ops:
            self.ops.append(name)
        return func(*args, **(kwargs or {}))


def torch_compute_ops(call: Callable[[], Any]) -> list[str]:
    log = _OpLog()
    with torch.no_grad(), log:
        call()
    return log.ops
