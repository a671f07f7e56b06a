"""Large inputs come back to the judge as digests, not bytes (issue #14), and mutation is still caught.

On an H200, 27 of a verdict's 55 s moved benchmark-size tensors through pipes; inputs above
`DIGEST_NUMEL` elements now travel as a SHA-256 of their bytes from both workers. The attacker this
must still catch: a forward that writes into its (large) input.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from judge_helpers import PRELUDE, write

from kernelwright.judge import JudgeConfig, judge
from kernelwright.judge.compare import inputs_unchanged
from kernelwright.worker.common import DIGEST_NUMEL, inputs_record, tensor_digest

BIG = DIGEST_NUMEL + 4096  # just over: the digest path, at a size the CPU interpreter runs in seconds

PROBLEM = f"""
import torch
from torch import nn


class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x)


def get_inputs():
    return [torch.randn({BIG})]


def get_init_inputs():
    return []


def get_fuzz_inputs(seed):
    return [torch.randn(1000 + seed)]
"""

HONEST = (
    PRELUDE
    + """
class ModelNew(nn.Module):
    def forward(self, x):
        return launch(x)
"""
)

# Writes its answer into its input and returns it: the large benchmark input comes back changed.
IN_PLACE = (
    PRELUDE
    + """
class ModelNew(nn.Module):
    def forward(self, x):
        return launch(x, x)
"""
)


def test_digests_compare_bit_for_bit() -> None:
    x = torch.randn(BIG)
    rec = inputs_record([x, 3, torch.ones(4)])
    assert isinstance(rec[0], dict) and rec[0]["numel"] == BIG and rec[1] is None
    assert isinstance(rec[2], torch.Tensor)  # small inputs still travel whole
    assert inputs_unchanged(rec, inputs_record([x.clone(), 3, torch.ones(4)])) == ""
    y = x.clone()
    y[BIG // 2] += 1
    assert "compared by SHA-256" in inputs_unchanged(rec, inputs_record([y, 3, torch.ones(4)]))
    zeros = torch.zeros(BIG)  # -0.0 for 0.0 is no change in value but is one in bits: "bit for bit"
    assert tensor_digest(zeros)["sha256"] != tensor_digest(-zeros)["sha256"]
    assert "replaced or reshaped" in inputs_unchanged(
        rec, inputs_record([x.reshape(2, -1), 3, torch.ones(4)])
    )
    assert "replaced or reshaped" in inputs_unchanged(rec, [torch.randn(5), None, torch.ones(4)])
    bf = torch.randn(BIG, dtype=torch.bfloat16)  # no NumPy dtype: hashed as raw bytes all the same
    assert tensor_digest(bf)["dtype"] == "bfloat16"


@pytest.mark.slow
def test_mutating_a_large_input_is_caught_and_an_honest_kernel_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERNELWRIGHT_CPU_INPUT_BUDGET", str(2 * BIG))  # judge the large case on this CPU
    problem = tmp_path / "big_relu.py"
    problem.write_text(PROBLEM)
    cfg = JudgeConfig(seeds=1, fuzz=1, timeout=300, call_timeout=120)
    cheat = judge(problem, write(tmp_path, "in_place", IN_PLACE, prelude=False), cfg)
    assert cheat.verdict == "rejected" and cheat.category == "input-mutation", cheat.reasons
    assert any("compared by SHA-256" in r.message for r in cheat.reasons)
    honest = judge(problem, write(tmp_path, "honest", HONEST, prelude=False), cfg)
    assert honest.accepted, [r.message for r in honest.reasons]
    assert honest.correctness is not None and honest.correctness.trials == 1
