"""Checks on the bundled benchmark problems (src/kernelwright/problems/level*/) and the smoke candidates.

Every problem file is loaded by path and checked against the problem-file contract: the required names,
a deterministic reference, small and varied fuzz cases whose outputs are finite and not degenerate
under the problem's tolerance, a tolerance that admits both more precise math (float64) and tf32
matmuls, and benchmark inputs of GPU size (built on the meta device, so nothing big is allocated).
The three Triton smoke candidates in examples/library_smoke/ run in a subprocess with
TRITON_INTERPRET=1 against the references.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch
from torch.overrides import TorchFunctionMode

REPO = Path(__file__).resolve().parents[1]
PROBLEMS_DIR = REPO / "src" / "kernelwright" / "problems"
SMOKE_DIR = REPO / "examples" / "library_smoke"
LEVELS = ("level1", "level2", "level3")
FUZZ_SEEDS = tuple(range(8))
MAX_FUZZ_NUMEL = 65536
# Outputs smaller than this are "tiny" fuzz cases (1 row, 1 element): too few values to judge spread.
MIN_JUDGED_NUMEL = 4
# The judge's default per-dtype tolerance; a problem's TOLERANCE replaces it.
DEFAULT_TOLERANCE = {
    torch.float32: {"atol": 1e-4, "rtol": 1e-4},
    torch.bfloat16: {"atol": 2e-2, "rtol": 2e-2},
    torch.float16: {"atol": 1e-2, "rtol": 1e-2},
}
STEM_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def _problem_files() -> list[Path]:
    return sorted(path for level in LEVELS for path in (PROBLEMS_DIR / level).glob("*.py"))


PROBLEM_FILES = _problem_files()
PROBLEM_IDS = [f"{path.parent.name}/{path.stem}" for path in PROBLEM_FILES]


@functools.cache
def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"kw_problem_{path.parent.name}_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tensors(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensors(item)]
    return []


def _outputs(value: Any) -> list[torch.Tensor]:
    outs = list(value) if isinstance(value, tuple) else [value]
    assert outs and all(isinstance(t, torch.Tensor) for t in outs), (
        f"forward must return tensors, got {value!r}"
    )
    return outs


def _tolerance(module: ModuleType, dtype: torch.dtype) -> dict[str, float]:
    return getattr(module, "TOLERANCE", None) or DEFAULT_TOLERANCE.get(
        dtype, DEFAULT_TOLERANCE[torch.float32]
    )


def _model(module: ModuleType) -> torch.nn.Module:
    torch.manual_seed(0)
    return module.Model(*module.get_init_inputs()).eval()


def _fuzz_inputs(module: ModuleType, seed: int) -> list:
    torch.manual_seed(seed)
    inputs = module.get_fuzz_inputs(seed)
    assert isinstance(inputs, list), "get_fuzz_inputs must return a list"
    return inputs


def _run(model: torch.nn.Module, inputs: list) -> list[torch.Tensor]:
    with torch.no_grad():
        return _outputs(model(*[t.clone() if isinstance(t, torch.Tensor) else t for t in inputs]))


def _expected_float_dtype(path: Path) -> torch.dtype:
    return torch.bfloat16 if path.stem.endswith("_bf16") else torch.float32


def _signature(inputs: list) -> tuple:
    return tuple(tuple(t.shape) if isinstance(t, torch.Tensor) else repr(t) for t in inputs)


# ---------------------------------------------------------------------------------------------------
# The suite as a whole


def test_suite_layout() -> None:
    per_level = {level: sorted(p.stem for p in (PROBLEMS_DIR / level).glob("*.py")) for level in LEVELS}
    stems = [stem for level in LEVELS for stem in per_level[level]]
    assert len(stems) >= 22, f"only {len(stems)} problems"
    for level, names in per_level.items():
        assert len(names) >= 3, f"{level} has only {len(names)} problems"
        assert not (PROBLEMS_DIR / level / "__init__.py").exists(), (
            f"{level} must hold data files, not a package"
        )
    duplicates = sorted({stem for stem in stems if stems.count(stem) > 1})
    assert not duplicates, f"stems must be unique across levels: {duplicates}"
    bad = [stem for stem in stems if not STEM_RE.match(stem)]
    assert not bad, f"stems must be lowercase snake_case: {bad}"


def test_readme_lists_every_problem() -> None:
    readme = (PROBLEMS_DIR / "README.md").read_text()
    missing = [path.stem for path in PROBLEM_FILES if f"`{path.stem}`" not in readme]
    assert not missing, f"README.md does not list: {missing}"


# ---------------------------------------------------------------------------------------------------
# One problem at a time


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=PROBLEM_IDS)
def test_contract(path: Path) -> None:
    module = _load(path)
    for name in ("Model", "get_init_inputs", "get_inputs", "get_fuzz_inputs"):
        assert hasattr(module, name), f"missing {name}"
    assert issubclass(module.Model, torch.nn.Module)
    assert isinstance(module.get_init_inputs(), list)
    assert list(inspect.signature(module.get_fuzz_inputs).parameters) == ["seed"]
    doc = (module.__doc__ or "").strip().splitlines()
    assert len(doc) >= 3 and doc[0] and len(doc[0]) <= 80 and not doc[1], (
        "docstring: a short title, a blank line, a description"
    )
    tolerance = getattr(module, "TOLERANCE", None)
    if tolerance is not None:
        assert set(tolerance) == {"atol", "rtol"} and all(0 < float(v) < 1 for v in tolerance.values())
    source = inspect.getsource(module)
    assert "manual_seed" not in source, "problem files must not seed the RNG; the judge does"
    assert "device=" not in inspect.getsource(module.get_inputs)


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=PROBLEM_IDS)
def test_fuzz_cases(path: Path) -> None:
    module = _load(path)
    model = _model(module)
    signatures = set()
    judged = 0
    for seed in FUZZ_SEEDS:
        inputs = _fuzz_inputs(module, seed)
        assert _signature(_fuzz_inputs(module, seed)) == _signature(inputs), (
            "fuzz shapes must depend on seed only"
        )
        signatures.add(_signature(inputs))
        for t in _tensors(inputs):
            assert t.device.type == "cpu", "create fuzz inputs without a device"
            assert t.numel() <= MAX_FUZZ_NUMEL, f"seed {seed}: fuzz tensor {tuple(t.shape)} is too big"
            if t.is_floating_point():
                assert t.dtype == _expected_float_dtype(path), f"seed {seed}: input dtype {t.dtype}"
        outs = _run(model, inputs)
        again = _run(model, inputs)
        for out, out2 in zip(outs, again, strict=True):
            assert torch.equal(out, out2), f"seed {seed}: the reference is not deterministic"
        for i, out in enumerate(outs):
            where = f"seed {seed}, output {i} {tuple(out.shape)}"
            if out.is_floating_point():
                assert out.dtype == _expected_float_dtype(path), f"{where}: dtype {out.dtype}"
                assert torch.isfinite(out).all(), f"{where}: non-finite output"
            if out.numel() >= MIN_JUDGED_NUMEL:
                judged += 1
                _assert_not_degenerate(out, _tolerance(module, out.dtype), where)
        if hasattr(module, "get_flops"):
            assert module.get_flops(inputs) > 0
    assert len(signatures) == len(FUZZ_SEEDS), f"seeds 0..7 must give distinct shapes, got {len(signatures)}"
    assert judged >= 4, "too few fuzz cases have outputs large enough to judge"


def _assert_not_degenerate(out: torch.Tensor, tolerance: dict[str, float], where: str) -> None:
    if not out.is_floating_point():
        assert out.unique().numel() >= 2, f"{where}: every value is the same"
        return
    x = out.double()
    atol, rtol = tolerance["atol"], tolerance["rtol"]
    # Fraction of elements where an all-zero output / a constant output would pass allclose.
    zero_pass = (x.abs() <= atol + rtol * x.abs()).double().mean().item()
    const_pass = ((x - x.mean()).abs() <= atol + rtol * x.abs()).double().mean().item()
    assert zero_pass <= 0.9, f"{where}: zeros would pass on {zero_pass:.0%} of elements"
    assert const_pass <= 0.5, f"{where}: a constant would pass on {const_pass:.0%} of elements"


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=PROBLEM_IDS)
def test_tolerance_admits_float64_math(path: Path) -> None:
    """The same math in float64, rounded once to the output dtype, must pass (a more careful kernel)."""
    module = _load(path)
    model = _model(module)
    model64 = copy.deepcopy(model).to(torch.float64)
    for seed in FUZZ_SEEDS:
        inputs = _fuzz_inputs(module, seed)
        inputs64 = [
            t.double() if isinstance(t, torch.Tensor) and t.is_floating_point() else t for t in inputs
        ]
        for i, (ref, hi) in enumerate(zip(_run(model, inputs), _run(model64, inputs64), strict=True)):
            candidate = hi.to(ref.dtype)
            tol = _tolerance(module, ref.dtype)
            if ref.is_floating_point():
                err = (candidate.double() - ref.double()).abs().max().item() if ref.numel() else 0.0
                assert torch.allclose(candidate, ref, **tol), (
                    f"seed {seed}, output {i}: max err {err:.3g} vs {tol}"
                )
            else:
                assert torch.equal(candidate, ref), f"seed {seed}, output {i}"


def _round_to_tf32(t: torch.Tensor) -> torch.Tensor:
    """Truncate fp32 to tf32 (10 mantissa bits, toward zero): how tensor cores read fp32 registers that a
    tf32 tl.dot feeds them unrounded. Truncation errs twice as much as round-to-nearest and with a bias,
    so it is the pessimistic case."""
    if t.dtype != torch.float32:
        return t
    bits = t.detach().contiguous().view(torch.int32)
    return (bits & ~0x1FFF).view(torch.float32).view(t.shape)


class _TF32Matmuls(TorchFunctionMode):
    """Feeds the operands of every matmul / linear through tf32 rounding, like Triton's default tl.dot."""

    NAMES = frozenset({"matmul", "__matmul__", "__rmatmul__", "mm", "bmm", "linear"})

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        if getattr(func, "__name__", "") in self.NAMES:
            self.calls += 1
            args = tuple(
                _round_to_tf32(a) if i < 2 and isinstance(a, torch.Tensor) else a for i, a in enumerate(args)
            )
        return func(*args, **(kwargs or {}))


def test_tf32_emulation_rounds() -> None:
    x = torch.tensor([1.0 + 2.0**-11, 1.0 + 3 * 2.0**-11, -(1.0 + 2.0**-10 + 2.0**-12), 3.0])
    assert _round_to_tf32(x).tolist() == [1.0, 1.0 + 2.0**-10, -(1.0 + 2.0**-10), 3.0]
    mode = _TF32Matmuls()
    with mode:
        torch.nn.functional.linear(torch.ones(2, 3), torch.ones(4, 3))
        _ = torch.ones(2, 3) @ torch.ones(3, 2)
    assert mode.calls == 2


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=PROBLEM_IDS)
def test_tolerance_admits_tf32_matmuls(path: Path) -> None:
    """An fp32 problem's tolerance must accept a kernel whose matmuls run in tf32 (Triton's default)."""
    module = _load(path)
    if _expected_float_dtype(path) != torch.float32:
        pytest.skip("bf16 problem: no tf32")
    model = _model(module)
    for seed in FUZZ_SEEDS:
        inputs = _fuzz_inputs(module, seed)
        mode = _TF32Matmuls()
        with mode:
            tf32 = _run(model, inputs)
        if mode.calls == 0:
            pytest.skip("no matmuls")
        for i, (ref, out) in enumerate(zip(_run(model, inputs), tf32, strict=True)):
            tol = _tolerance(module, ref.dtype)
            err = (out.double() - ref.double()).abs().max().item() if ref.numel() else 0.0
            assert torch.allclose(out, ref, **tol), (
                f"seed {seed}, output {i}: tf32 max err {err:.3g} vs {tol}"
            )


@pytest.mark.parametrize("path", PROBLEM_FILES, ids=PROBLEM_IDS)
def test_benchmark_inputs(path: Path) -> None:
    """get_inputs() at GPU size, built and run on the meta device (shapes only, nothing allocated)."""
    module = _load(path)
    with torch.device("meta"):
        model = module.Model(*module.get_init_inputs())
        inputs = module.get_inputs()
        outs = _outputs(model(*inputs))
    assert isinstance(inputs, list)
    tensors = _tensors(inputs)
    assert tensors and all(t.device.type == "meta" for t in tensors), "create inputs without a device"
    for t in tensors + outs:
        if t.is_floating_point():
            assert t.dtype == _expected_float_dtype(path), f"{tuple(t.shape)} has dtype {t.dtype}"
    params = list(model.parameters())
    assert all(p.dtype == _expected_float_dtype(path) for p in params if p.is_floating_point())
    biggest = max(t.numel() for t in tensors)
    flops = module.get_flops(inputs) if hasattr(module, "get_flops") else 0.0
    assert biggest >= 4 * 2**20 or flops >= 1e10, "benchmark inputs are too small to be a real GPU workload"
    fuzz_biggest = max(t.numel() for seed in FUZZ_SEEDS for t in _tensors(_fuzz_inputs(module, seed)))
    assert biggest > 8 * fuzz_biggest
    if hasattr(module, "get_flops"):
        assert flops >= 1e9


# ---------------------------------------------------------------------------------------------------
# Triton smoke candidates, run by the Triton interpreter in a subprocess

_SMOKE_SCRIPT = r"""
import importlib.util, json, os, sys
assert os.environ.get("TRITON_INTERPRET") == "1"
import torch

def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

problem = load(sys.argv[1], "problem")
candidate = load(sys.argv[2], "candidate")
defaults = {getattr(torch, k): v for k, v in json.loads(sys.argv[3]).items()}
results = []
for seed in range(8):
    torch.manual_seed(seed)
    inputs = problem.get_fuzz_inputs(seed)
    torch.manual_seed(0)
    ref_model = problem.Model(*problem.get_init_inputs())
    torch.manual_seed(0)
    new_model = candidate.ModelNew(*problem.get_init_inputs())
    with torch.no_grad():
        ref = ref_model(*[t.clone() for t in inputs])
        out = new_model(*[t.clone() for t in inputs])
    tol = getattr(problem, "TOLERANCE", None) or defaults[ref.dtype]
    ok = out.shape == ref.shape and out.dtype == ref.dtype and torch.allclose(out, ref, **tol)
    err = (out.double() - ref.double()).abs().max().item() if out.shape == ref.shape else None
    results.append({"seed": seed, "shape": list(inputs[0].shape), "dtype": str(ref.dtype), "ok": bool(ok),
                    "max_err": err, "tol": tol})
print("RESULT " + json.dumps(results))
"""

SMOKE_CASES = [
    ("relu", "level1/relu"),
    ("softmax", "level1/softmax"),
    ("softmax", "level1/softmax_bf16"),
    ("rmsnorm", "level1/rmsnorm"),
    ("rmsnorm", "level1/rmsnorm_bf16"),
]


@pytest.mark.parametrize(("candidate", "problem"), SMOKE_CASES, ids=[f"{c}-on-{p}" for c, p in SMOKE_CASES])
def test_smoke_candidate_under_triton_interpreter(candidate: str, problem: str) -> None:
    pytest.importorskip("triton")
    defaults = {str(dtype).removeprefix("torch."): tol for dtype, tol in DEFAULT_TOLERANCE.items()}
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _SMOKE_SCRIPT,
            str(PROBLEMS_DIR / f"{problem}.py"),
            str(SMOKE_DIR / f"{candidate}.py"),
            json.dumps(defaults),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    results = json.loads(line.removeprefix("RESULT "))
    assert len(results) == len(FUZZ_SEEDS)
    failed = [r for r in results if not r["ok"]]
    assert not failed, f"candidate {candidate} disagrees with {problem}: {failed}"


# ---------------------------------------------------------------------------------------------------
# At benchmark size on a GPU (skipped without CUDA)

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs an NVIDIA GPU")


@pytest.mark.cuda
@pytest.mark.slow
@needs_cuda
@pytest.mark.parametrize("path", PROBLEM_FILES, ids=PROBLEM_IDS)
def test_benchmark_size_on_cuda(path: Path) -> None:
    """At get_inputs() size: finite, deterministic, not degenerate; float64 and tf32 math pass."""
    module = _load(path)
    torch.manual_seed(0)
    model = module.Model(*module.get_init_inputs()).cuda().eval()
    torch.manual_seed(0)
    inputs = [t.cuda() if isinstance(t, torch.Tensor) else t for t in module.get_inputs()]
    tf32_matmul = torch.backends.cuda.matmul.allow_tf32
    try:
        torch.backends.cuda.matmul.allow_tf32 = False
        refs = _run(model, inputs)
        again = _run(model, inputs)
        for i, (ref, ref2) in enumerate(zip(refs, again, strict=True)):
            assert torch.equal(ref, ref2), f"output {i}: the reference is not deterministic on CUDA"
            if ref.is_floating_point():
                assert torch.isfinite(ref).all(), f"output {i}: non-finite"
            _assert_not_degenerate(ref, _tolerance(module, ref.dtype), f"output {i} {tuple(ref.shape)}")
        del again
        variants = {}
        if _expected_float_dtype(path) == torch.float32:
            torch.backends.cuda.matmul.allow_tf32 = True
            variants["cuBLAS tf32"] = _run(model, inputs)
            torch.backends.cuda.matmul.allow_tf32 = False
            with _TF32Matmuls():  # operands truncated to tf32, as a Triton tl.dot reads them
                variants["truncated tf32"] = _run(model, inputs)
        inputs64 = [
            t.double() if isinstance(t, torch.Tensor) and t.is_floating_point() else t for t in inputs
        ]
        variants["float64"] = _run(copy.deepcopy(model).to(torch.float64), inputs64)
        del inputs64
        for name, outs in variants.items():
            for i, (ref, out) in enumerate(zip(refs, outs, strict=True)):
                candidate = out.to(ref.dtype)
                if not ref.is_floating_point():
                    assert torch.equal(candidate, ref), f"{name} output {i}"
                    continue
                tol = _tolerance(module, ref.dtype)
                ratio = (candidate.double() - ref.double()).abs() / (
                    tol["atol"] + tol["rtol"] * ref.double().abs()
                )
                assert torch.allclose(candidate, ref, **tol), (
                    f"{name} output {i}: worst err/limit {ratio.max().item():.3g}"
                )
    finally:
        torch.backends.cuda.matmul.allow_tf32 = tf32_matmul
        torch.cuda.empty_cache()


@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize(("candidate", "problem"), SMOKE_CASES, ids=[f"{c}-on-{p}" for c, p in SMOKE_CASES])
def test_smoke_candidate_on_cuda(candidate: str, problem: str) -> None:
    pytest.importorskip("triton")
    module = _load(PROBLEMS_DIR / f"{problem}.py")
    cand = _load(SMOKE_DIR / f"{candidate}.py")
    ref_model = module.Model(*module.get_init_inputs()).cuda()
    new_model = cand.ModelNew(*module.get_init_inputs()).cuda()
    cases = [(seed, _fuzz_inputs(module, seed)) for seed in FUZZ_SEEDS]
    torch.manual_seed(0)
    cases.append(("benchmark", module.get_inputs()))
    for seed, inputs in cases:
        inputs = [t.cuda() for t in inputs]
        ref, out = _run(ref_model, inputs)[0], _run(new_model, inputs)[0]
        tol = _tolerance(module, ref.dtype)
        assert out.shape == ref.shape and out.dtype == ref.dtype, f"seed {seed}"
        err = (out.double() - ref.double()).abs().max().item()
        assert torch.allclose(out, ref, **tol), f"seed {seed}: max err {err:.3g} vs {tol}"
