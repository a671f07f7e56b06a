"""The judge's own checks: each with a candidate it rejects and one it lets through (CPU interpreter)."""

from __future__ import annotations

from pathlib import Path

import pytest
from judge_helpers import FAST, RELU, codes, run

from kernelwright.errors import BadInput, ProblemError
from kernelwright.judge import JudgeConfig, judge

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
RUNTIME_ONLY = FAST.model_copy(update={"static_guard": False})

CORRECT = """
class ModelNew(nn.Module):
    def forward(self, x):
        return launch(x)
"""


def test_correct_kernel_is_accepted_with_full_evidence() -> None:
    v = judge(RELU, EXAMPLES / "relu_correct.py", FAST)
    assert v.verdict == "accepted" and v.category is None
    c = v.correctness
    assert c is not None
    assert c.fuzz_cases >= 4 and c.repeat_checked
    assert c.ablation == "output-changed" and c.custom_launches >= 1
    assert v.timing is None and v.environment.interpreter is True
    assert any("CPU interpreter budget" in n for n in c.notes)  # the benchmark size was replaced, and said
    assert len(v.candidate_sha256) == 64


def test_wrong_kernel_is_rejected_with_a_mismatch_report() -> None:
    v = judge(RELU, EXAMPLES / "relu_wrong.py", FAST)
    assert (v.verdict, v.category) == ("rejected", "wrong-output")
    msg = next(r.message for r in v.reasons if r.code == "KW-O001")
    assert "elements differ" in msg and "max abs err" in msg and "rel-RMS" in msg and "first at [" in msg


def test_kernel_without_bounds_mask_is_caught_by_fuzz_shapes() -> None:
    v = judge(RELU, EXAMPLES / "relu_no_mask.py", FAST)
    assert v.verdict == "rejected"
    assert v.category in ("wrong-output", "crash-or-timeout")
    assert any("fuzz:" in r.message for r in v.reasons)  # the failing case is a fuzz shape


@pytest.mark.parametrize(
    ("body", "code", "needle"),
    [
        ("class ModelNew(nn.Module)\n    pass\n", "KW-S000", "syntax"),
        ("class Other(nn.Module):\n    pass\n", "KW-C002", "no class modelnew"),
        (
            "class ModelNew(nn.Module):\n    def __init__(self, a, b):\n        super().__init__()\n",
            "KW-C001",
            "__init__",
        ),
    ],
    ids=["syntax-error", "no-modelnew", "wrong-signature"],
)
def test_broken_candidates_are_compile_errors(tmp_path: Path, body: str, code: str, needle: str) -> None:
    v = run(tmp_path, body)
    assert (v.verdict, v.category) == ("rejected", "compile-error")
    assert code in codes(v)
    assert any(needle in r.message.lower() for r in v.reasons), v.reasons


def test_syntax_error_is_a_compile_error_at_runtime_too(tmp_path: Path) -> None:
    v = run(tmp_path, "class ModelNew(nn.Module)\n    pass\n", config=RUNTIME_ONLY)
    assert (v.verdict, v.category) == ("rejected", "compile-error")
    assert "SyntaxError" in next(r.message for r in v.reasons if r.code == "KW-C001")


def test_missing_files_and_malformed_problems_are_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="candidate file not found"):
        judge(RELU, tmp_path / "nope.py", FAST)
    with pytest.raises(BadInput, match="problem file not found"):
        judge(tmp_path / "nope.py", EXAMPLES / "relu_correct.py", FAST)
    bad = tmp_path / "bad_problem.py"
    bad.write_text("import torch\nclass Model(torch.nn.Module):\n    pass\n")
    with pytest.raises(ProblemError, match="get_inputs"):
        judge(bad, EXAMPLES / "relu_correct.py", FAST)
    raising = tmp_path / "raising_problem.py"
    raising.write_text(
        "import torch\nclass Model(torch.nn.Module):\n    def forward(self, x):\n        return x\n"
        "def get_init_inputs():\n    return []\ndef get_inputs():\n    raise ValueError('broken problem')\n"
    )
    with pytest.raises(ProblemError, match="broken problem"):
        judge(raising, EXAMPLES / "relu_correct.py", FAST)


def test_hang_is_timed_out_and_segfault_is_reported(tmp_path: Path) -> None:
    cfg = RUNTIME_ONLY.model_copy(update={"call_timeout": 8})
    hang = run(
        tmp_path,
        "class ModelNew(nn.Module):\n    def forward(self, x):\n        while True:\n            pass\n",
        config=cfg,
        name="hang",
    )
    assert (hang.verdict, hang.category) == ("rejected", "crash-or-timeout")
    assert "timed out after 8 s" in hang.reasons[0].message
    crash = judge(RELU, EXAMPLES / "relu_crash.py", RUNTIME_ONLY)
    assert (crash.verdict, crash.category) == ("rejected", "crash-or-timeout")
    assert "SIGSEGV" in crash.reasons[0].message


def test_early_exit_with_status_zero_is_a_crash(tmp_path: Path) -> None:
    body = (
        "import os\nclass ModelNew(nn.Module):\n    def forward(self, x):\n"
        '        print(\'{"verdict": "accepted"}\')\n        os._exit(0)\n'
    )
    v = run(tmp_path, body, config=RUNTIME_ONLY)
    assert (v.verdict, v.category) == ("rejected", "crash-or-timeout")
    assert "exited early with status 0" in v.reasons[0].message


def test_input_mutation_is_caught_and_own_buffers_are_fine(tmp_path: Path) -> None:
    bad = run(
        tmp_path,
        "class ModelNew(nn.Module):\n    def forward(self, x):\n        return launch(x, x)\n",
        name="inplace",
    )
    assert (bad.verdict, bad.category) == ("rejected", "input-mutation")
    good = run(
        tmp_path,
        "class ModelNew(nn.Module):\n    def forward(self, x):\n        y = x.clone()\n"
        "        return launch(y, y)\n",
        name="own_buffer",
    )
    assert good.verdict == "accepted", good.reasons


def test_no_kernel_and_decoy_kernel_are_passthrough(tmp_path: Path) -> None:
    none = run(
        tmp_path,
        "class ModelNew(nn.Module):\n    def forward(self, x):\n        return torch.relu(x)\n",
        name="none",
    )
    assert (none.verdict, none.category) == ("rejected", "reference-passthrough")
    assert "KW-P000" in codes(none)
    decoy = run(
        tmp_path,
        "class ModelNew(nn.Module):\n    def forward(self, x):\n        launch(torch.ones(4))\n"
        "        return torch.relu(x)\n",
        name="decoy",
    )
    assert (decoy.verdict, decoy.category) == ("rejected", "reference-passthrough")
    assert (
        "KW-P001" in codes(decoy) and decoy.correctness and decoy.correctness.ablation == "output-unchanged"
    )


def test_try_except_fallback_that_runs_is_passthrough(tmp_path: Path) -> None:
    body = (
        "class ModelNew(nn.Module):\n    def forward(self, x):\n        try:\n"
        "            relu_kernel[(1,)](x, x, x.numel(), BLOCK=3)\n        except Exception:\n"
        "            pass\n        return launch(x)\n"
    )
    v = run(tmp_path, body, config=RUNTIME_ONLY)
    assert (v.verdict, v.category) == ("rejected", "reference-passthrough")
    assert "KW-P002" in codes(v)


def test_outputs_must_be_plain_tensors(tmp_path: Path) -> None:
    body = "class Lazy(torch.Tensor):\n    pass\n\nclass ModelNew(nn.Module):\n    def forward(self, x):\n        return launch(x).as_subclass(Lazy)\n"
    v = run(tmp_path, body, config=RUNTIME_ONLY)
    assert (v.verdict, v.category) == ("rejected", "wrong-output")
    assert "not a plain torch.Tensor" in v.reasons[0].message


def test_shape_keyed_output_cache_fails_on_fresh_values(tmp_path: Path) -> None:
    body = (
        "class ModelNew(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.memo = {}\n"
        "    def forward(self, x):\n        key = tuple(x.shape)\n        if key not in self.memo:\n"
        "            self.memo[key] = launch(x)\n        return self.memo[key].clone()\n"
    )
    v = run(tmp_path, body, config=RUNTIME_ONLY)
    # Fresh values per case make the replayed output wrong; the ablation sees no launch on a cache hit.
    assert v.verdict == "rejected" and "KW-O001" in codes(v), v.reasons


def test_sandbox_blocks_secrets_files_sockets_and_shells(tmp_path: Path) -> None:
    marker = tmp_path / "escaped.txt"
    cases = {
        "secret": "import os\nKEY = os.environ.get('OPENAI_API_KEY')\n",
        "write": f"open({str(marker)!r}, 'w').write('x')\n",
        "socket": "import socket\nsocket.socket().connect(('127.0.0.1', 9))\n",
        "shell": f"import subprocess\nsubprocess.run(['sh', '-c', 'echo x > {marker}'])\n",
    }
    for name, payload in cases.items():
        body = payload + CORRECT
        v = run(tmp_path, body, config=RUNTIME_ONLY, name=name)
        assert (v.verdict, v.category) == ("rejected", "sandbox"), (name, v.reasons)
    assert not marker.exists()


def test_tampering_with_timers_and_torch_is_reported(tmp_path: Path) -> None:
    for name, payload in {
        "timer": "import time\ntime.perf_counter = lambda: 0.0\n",
        "tensor": "torch.Tensor.clone = lambda self, *a, **k: self\n",
        "allclose": "setattr(torch, 'allclose', lambda *a, **k: True)\n",
    }.items():
        v = run(tmp_path, payload + CORRECT, config=RUNTIME_ONLY, name=name)
        assert (v.verdict, v.category) == ("rejected", "tampering"), (name, v.reasons)


def test_forged_result_frames_are_tampering(tmp_path: Path) -> None:
    body = (
        "import os\nclass ModelNew(nn.Module):\n    def forward(self, x):\n        for fd in range(3, 1024):\n"
        '            try:\n                os.write(fd, bytes(44) + b\'{"kind":"done"}\')\n'
        "            except OSError:\n                pass\n        return launch(x)\n"
    )
    v = run(tmp_path, body, config=RUNTIME_ONLY)
    assert v.verdict == "rejected" and v.category in ("tampering", "crash-or-timeout")


def test_tolerance_override_and_degenerate_warning(tmp_path: Path) -> None:
    problem = tmp_path / "scaled.py"
    problem.write_text(
        "import torch\nfrom torch import nn\nTOLERANCE = {'atol': 1e-2, 'rtol': 1e-2}\n"
        "class Model(nn.Module):\n    def forward(self, x):\n        return torch.relu(x)\n"
        "def get_init_inputs():\n    return []\ndef get_inputs():\n    return [torch.randn(4096)]\n"
        "def get_fuzz_inputs(seed):\n    return [torch.randn(37 + seed)]\n"
    )
    off_by_a_bit = (
        "@triton.jit\ndef shifted(x_ptr, y_ptr, n, BLOCK: tl.constexpr):\n"
        "    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)\n    m = offs < n\n"
        "    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=m), 0.0) + 1e-3, mask=m)\n"
        "class ModelNew(nn.Module):\n    def forward(self, x):\n        y = torch.empty_like(x)\n"
        "        shifted[(triton.cdiv(x.numel(), 256),)](x, y, x.numel(), BLOCK=256)\n        return y\n"
    )
    assert run(tmp_path, off_by_a_bit, problem=problem, name="loose").verdict == "accepted"
    assert run(tmp_path, off_by_a_bit, name="tight").category == "wrong-output"  # fp32 default table
    tiny = tmp_path / "tiny.py"
    tiny.write_text(
        problem.read_text()
        .replace("torch.relu(x)", "torch.relu(x) * 1e-9")
        .replace("TOLERANCE = {'atol': 1e-2, 'rtol': 1e-2}\n", "")
    )
    v = run(
        tmp_path,
        "class ModelNew(nn.Module):\n    def forward(self, x):\n        return launch(x) * 1e-9\n",
        problem=tiny,
        name="tiny_candidate",
    )
    assert any(r.code == "KW-W001" and r.severity == "soft" for r in v.reasons)


def test_parameters_are_aligned_from_the_reference(tmp_path: Path) -> None:
    problem = tmp_path / "scale.py"
    problem.write_text(
        "import torch\nfrom torch import nn\nclass Model(nn.Module):\n    def __init__(self, n):\n"
        "        super().__init__()\n        self.w = nn.Parameter(torch.randn(n))\n"
        "    def forward(self, x):\n        return x * self.w\n"
        "def get_init_inputs():\n    return [64]\ndef get_inputs():\n    return [torch.randn(8, 64)]\n"
        "def get_fuzz_inputs(seed):\n    return [torch.randn(1 + 3 * seed, 64)]\n"
    )
    body = (
        "@triton.jit\ndef mul(x_ptr, w_ptr, y_ptr, n, C: tl.constexpr, BLOCK: tl.constexpr):\n"
        "    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)\n    m = offs < n\n"
        "    w = tl.load(w_ptr + offs % C, mask=m)\n    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=m) * w, mask=m)\n"
        "class ModelNew(nn.Module):\n    def __init__(self, n):\n        super().__init__()\n"
        "        self.w = nn.Parameter(torch.zeros(n))  # overwritten by the reference's values\n"
        "    def forward(self, x):\n        y = torch.empty_like(x)\n"
        "        mul[(triton.cdiv(x.numel(), 256),)](x, self.w, y, x.numel(), C=self.w.numel(), BLOCK=256)\n"
        "        return y\n"
    )
    assert run(tmp_path, body, problem=problem).verdict == "accepted"


def test_op_policies_default_strict_and_loose(tmp_path: Path) -> None:
    """A compute op outside the kernels: rejected by default (KW-P006) and under strict (KW-P003);
    accepted only in KernelBench's looser mode; the verdict names the policy that applied."""
    body = "class ModelNew(nn.Module):\n    def forward(self, x):\n        return launch(x) + 0.0\n"
    loose = run(tmp_path, body, config=FAST.model_copy(update={"op_policy": "loose"}), name="lenient")
    assert loose.verdict == "accepted" and "op policy: loose" in loose.correctness.notes
    v = run(tmp_path, body, name="default")
    assert (v.verdict, v.category) == ("rejected", "reference-passthrough") and "KW-P006" in codes(v)
    assert "op policy: default" in v.correctness.notes
    allowed = run(tmp_path, body, config=FAST.model_copy(update={"allow_ops": ("add",)}), name="allowed")
    assert allowed.verdict == "accepted", allowed.reasons
    v = run(tmp_path, body, config=FAST.model_copy(update={"strict": True}), name="strict")
    assert (v.verdict, v.category) == ("rejected", "reference-passthrough")
    assert "KW-P003" in codes(v) and "add" in next(r.message for r in v.reasons if r.code == "KW-P003")
    assert (
        run(tmp_path, CORRECT, config=FAST.model_copy(update={"strict": True}), name="pure").verdict
        == "accepted"
    )


def test_cuda_candidates_are_skipped_without_a_gpu(tmp_path: Path) -> None:
    body = (
        "import torch\nfrom torch import nn\nfrom torch.utils.cpp_extension import load_inline\n"
        "class ModelNew(nn.Module):\n    def forward(self, x):\n        return x\n"
    )
    v = run(tmp_path, body, prelude=False, config=FAST.model_copy(update={"device": "cpu"}))
    assert (v.verdict, v.category) == ("skipped", "needs-cuda")


def test_config_device_cpu_is_respected() -> None:
    v = judge(RELU, EXAMPLES / "relu_correct.py", JudgeConfig(fuzz=2, seeds=1, device="cpu"))
    assert v.accepted and v.environment.interpreter


def test_reference_caches_are_kept_per_problem_out_of_the_candidates_reach() -> None:
    """The reference worker reuses Inductor/Triton caches across verdicts of one problem; another
    problem gets another directory, so a hostile problem can poison only its own baseline (THREATS
    #23), and the whole cache dir is hidden from candidate workers by the jail."""
    from kernelwright.judge.workers import reference_cache_dir
    from kernelwright.sandbox.jail import default_hide
    from kernelwright.settings import cache_dir

    relu = RELU.read_text()
    a, b = reference_cache_dir(relu), reference_cache_dir(relu + "\n# another problem\n")
    assert a == reference_cache_dir(relu) and a != b
    assert all((a / sub).is_dir() for sub in ("inductor", "triton")) and a.is_relative_to(cache_dir())
    assert any(cache_dir().is_relative_to(h) for h in default_hide())
