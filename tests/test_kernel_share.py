"""The launch ledger's measuring hooks: the custom-kernel share (brackets) and the foreign-stream delay."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# In a child process: TRITON_INTERPRET must be set before Triton is imported, and the ledger
# patches Triton's classes for good.
_BRACKETS = textwrap.dedent("""
    import torch, triton, triton.language as tl
    from kernelwright.worker.launches import LaunchLedger

    ledger = LaunchLedger()
    ledger.install_triton()

    @triton.jit
    def double(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
        offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=offs < n) * 2, mask=offs < n)

    events = []
    def bracket():
        events.append("open")
        return lambda: events.append("close")

    x = torch.arange(100.0)
    y = torch.empty_like(x)
    double[(1,)](x, y, 100, BLOCK=128)             # not bracketed: no bracket installed
    ledger.bracket = bracket
    double[(1,)](x, y, 100, BLOCK=128)
    double[(1,)](y, y, 100, BLOCK=128)
    ledger.bracket = None
    ledger.before_launch = lambda: events.append("before")  # the foreign-stream delay hook
    double[(1,)](y, y, 100, BLOCK=128)
    ledger.before_launch = None
    assert torch.equal(y, x * 8), y
    print(events, ledger.counts["double"])
""")


def test_every_custom_launch_is_bracketed_while_measuring_and_hooked_while_checking() -> None:
    env = {**os.environ, "TRITON_INTERPRET": "1", "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", _BRACKETS], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "['open', 'close', 'open', 'close', 'before'] 4"


@pytest.mark.cuda
def test_share_is_high_for_a_triton_forward_and_low_when_torch_does_the_work(tmp_path: Path) -> None:
    from kernelwright.judge import JudgeConfig, judge

    problem = ROOT / "src/kernelwright/problems/level1/relu.py"
    cfg = JudgeConfig(seeds=1, fuzz=1, timed_calls=10, warmup_calls=2, compile_baseline=False)
    kernel = judge(problem, ROOT / "examples/relu_correct.py", cfg)
    assert kernel.timing is not None and kernel.timing.custom_kernel_share is not None
    assert kernel.timing.custom_kernel_share > 0.8
    # The same Triton ReLU, next to a large torch matmul whose result is added as zero: most device
    # time is then PyTorch's, and the share says so.
    mixed = tmp_path / "mixed.py"
    mixed.write_text(
        textwrap.dedent("""
        import math
        import torch, triton, triton.language as tl
        from torch import nn

        @triton.jit
        def relu(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
            offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
            x = tl.load(x_ptr + offs, mask=offs < n)
            tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=offs < n)

        class ModelNew(nn.Module):
            def forward(self, x):
                y = torch.empty_like(x)
                n = x.numel()
                relu[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
                k = min(2048, math.isqrt(n))
                a = x.reshape(-1)[: k * k].reshape(k, k)
                return y + 0.0 * (a @ a).sum().clamp(-1.0, 1.0)
    """)
    )
    verdict = judge(problem, mixed, cfg)
    assert verdict.verdict == "accepted", verdict.reasons
    assert verdict.timing is not None and verdict.timing.custom_kernel_share is not None
    assert verdict.timing.custom_kernel_share < 0.5
