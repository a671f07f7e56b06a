"""The judge's settings: one pydantic model, built from CLI flags or a TOML file's [judge] table.

At the bottom of the judge package: every stage imports it, it imports no stage.
"""

from __future__ import annotations

from pydantic import BaseModel


class JudgeConfig(BaseModel):
    """Everything that changes how a candidate is judged; built from CLI flags or a TOML file."""

    seeds: int = 5
    fuzz: int = 8
    timeout: float = 600.0  # whole judgement
    compile_timeout: float = 180.0  # import + construction (Triton/nvcc builds happen here or at first call)
    call_timeout: float = 120.0  # one forward, first call included (JIT compilation)
    static_guard: bool = True  # False runs the runtime defences even on statically flagged files (tests)
    strict: bool = False
    timing: bool = True
    timed_calls: int = 100
    warmup_calls: int = 10
    compile_baseline: bool = True
    compile_mode: str | None = None  # torch.compile mode for the baseline (None: the default mode)
    # The trusted reference worker keeps its Inductor and Triton caches under the kernelwright cache
    # dir, so the compile baseline of a problem judged before is not rebuilt (H100: ~16 s cold).
    # Off automatically for CUDA C++ candidates: their native code is not audited, and a poisoned
    # baseline cache would make them look faster than they are (THREATS: result integrity).
    reference_cache: bool = True
    sample_positions: int = 4096  # checked elements per output per timed call when the output is large
    full_check_numel: int = 1 << 20  # outputs up to this size are checked whole on every timed call
    memory_limit_mb: int | None = None
    device: str = "auto"  # auto | cpu | cuda
