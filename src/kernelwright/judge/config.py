"""The judge's settings: one pydantic model, built from CLI flags or a TOML file's [judge] table.

At the bottom of the judge package: every stage imports it, it imports no stage.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class JudgeConfig(BaseModel):
    """Everything that changes how a candidate is judged; built from CLI flags or a TOML file.

    Validated, with unknown keys refused: a typo in a `[judge]` table (`seed = 3`) must not silently
    judge with the defaults, and `--seeds -3` or `--device gpu` are bad invocations (exit 2).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    seeds: int = Field(default=5, ge=0, le=1000)
    fuzz: int = Field(default=8, ge=0, le=1000)
    timeout: float = Field(default=600.0, gt=0)  # whole judgement
    # import + construction (Triton/nvcc builds happen here or at first call)
    compile_timeout: float = Field(default=180.0, gt=0)
    call_timeout: float = Field(default=120.0, gt=0)  # one forward, first call included (JIT compilation)
    static_guard: bool = True  # False runs the runtime defences even on statically flagged files (tests)
    strict: bool = False  # the same as op_policy="strict"
    # Which PyTorch ops forward may run (worker/op_classes.py, docs/JUDGE.md row 25): "default" allows
    # allocation, views, copies, casts, data movement the reference does not do and vendor GEMMs /
    # convolutions; "strict" only the first four; "loose" is KernelBench's looser mode (anything but
    # every op the reference runs). `allow_ops` names further ops the default policy lets through.
    op_policy: Literal["default", "strict", "loose"] = "default"
    allow_ops: tuple[str, ...] = ()
    timing: bool = True
    timed_calls: int = Field(default=100, ge=1)
    warmup_calls: int = Field(default=10, ge=0)
    compile_baseline: bool = True
    compile_mode: str | None = None  # torch.compile mode for the baseline (None: the default mode)
    # The trusted reference worker keeps its Inductor and Triton caches under the kernelwright cache
    # dir, so the compile baseline of a problem judged before is not rebuilt (H100: ~16 s cold).
    # Off automatically for CUDA C++ candidates: their native code is not audited, and a poisoned
    # baseline cache would make them look faster than they are (THREATS: result integrity).
    reference_cache: bool = True
    # checked elements per output per timed call when the output is large
    sample_positions: int = Field(default=4096, ge=1)
    full_check_numel: int = Field(
        default=1 << 20, ge=0
    )  # outputs up to this size are checked whole every call
    memory_limit_mb: int | None = Field(default=None, ge=64)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    # Where the host refuses a sandbox layer (no user namespaces, no bubblewrap), the judge still runs
    # but will not call the verdict fully isolated: it is rejected as `sandbox` (KW-J002) unless the
    # user accepts the weaker sandbox explicitly, and then the verdict's environment.sandbox says so.
    allow_weak_sandbox: bool = False

    @model_validator(mode="after")
    def _something_is_checked(self) -> Self:
        if self.seeds + self.fuzz < 1:
            raise ValueError("seeds + fuzz must be at least 1: a verdict needs at least one checked case")
        return self
