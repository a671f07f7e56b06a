"""Per-dtype (atol, rtol) table.

fp32 is tight enough to tell a bf16-inside-fp32 cheat (THREATS #8: bf16 has ~3 significant digits,
errors ~4e-3 relative) from honest fp32 reassociation (~1e-6 relative). tf32 is for problems that
declare matmul-like work where a Triton `tl.dot` defaults to tf32 (~3e-4 relative on K=4096).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Tolerance:
    atol: float
    rtol: float

    def describe(self) -> str:
        return f"atol={self.atol:g}, rtol={self.rtol:g}"


TABLE: dict[str, Tolerance] = {
    "float64": Tolerance(1e-7, 1e-7),
    "float32": Tolerance(1e-4, 1e-4),
    "tf32": Tolerance(5e-3, 5e-3),
    "float16": Tolerance(1e-2, 1e-2),
    "bfloat16": Tolerance(2e-2, 2e-2),
}
EXACT = Tolerance(0.0, 0.0)


def for_dtype(dtype: torch.dtype) -> Tolerance:
    if not dtype.is_floating_point and not dtype.is_complex:
        return EXACT  # integer and bool outputs (argmax, masks) must match exactly
    return TABLE.get(str(dtype).removeprefix("torch."), TABLE["float32"])


def resolve(dtype: torch.dtype, override: dict | None) -> Tolerance:
    """The problem's TOLERANCE override wins for floating outputs; integers stay exact."""
    base = for_dtype(dtype)
    if override and base is not EXACT:
        return Tolerance(float(override.get("atol", base.atol)), float(override.get("rtol", base.rtol)))
    return base
