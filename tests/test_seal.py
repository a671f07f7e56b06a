"""The seal (worker/seal.py, THREATS #25): on the CPU, input-derived bytes read as NaN outside kernels
and PyTorch ops during a traced call, and are all real again when it returns.

Runs in a child process: the seal and the launch ledger are audit hooks, which cannot be removed. The
corpus files cheat_rt_numpy_hidden_work, cheat_rt_seal_copy_then_numpy, cheat_rt_seal_clone_then_numpy,
cheat_rt_seal_subclass_dispatch and legit_seal_scalar_branch are the same checks judged end to end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_SCRIPT = """
    import math, os, sys
    import torch, triton, triton.language as tl
    from kernelwright.worker import seal, strict
    from kernelwright.worker.launches import LaunchLedger

    ledger = LaunchLedger()
    ledger.install_triton()
    seal_report = seal.install(ledger._s.originals, os.path.dirname(os.path.abspath(__file__)))

    @triton.jit
    def double(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
        offs = tl.arange(0, BLOCK)
        tl.store(y_ptr + offs, 2 * tl.load(x_ptr + offs, mask=offs < n), mask=offs < n)

    def show(name, value):
        print(name + "=" + str(value))

    x = torch.arange(1.0, 9.0)
    keep = x.clone()
    seen = {}

    def forward():
        seen["raw_input"] = float(x.numpy()[3])  # NumPy: not an op, not a kernel
        seen["op_input"] = x[3].item()  # an op: the seal is open while it runs
        c = x.clone()
        seen["raw_clone"] = float(c.numpy()[3])  # what an op returned is sealed too
        y = torch.empty_like(x)
        double[(1,)](x, y, 8, BLOCK=8)
        seen["raw_kernel_out"] = float(y.numpy()[3])  # what a kernel was given is sealed again
        seen["op_kernel_out"] = y[3].item()
        sys.audit(seal.OPEN)  # forged: not raised by the judge's wrapper or mode
        seen["forged_open"] = float(x.numpy()[3])
        sys.audit(seal.END)  # forged: not raised by the genuine traced()
        seen["forged_end"] = float(x.numpy()[3])
        mode = torch.utils._python_dispatch._get_current_dispatch_mode_stack()[-1]
        try:  # the genuine mode's method with something other than an aten op
            mode.__torch_dispatch__(lambda *a, **k: seen.setdefault("direct", float(x.numpy()[3])), (), (x,), {})
        except Exception:
            pass
        strict.traced(strict.OpTrace(), lambda: None, [c])  # a nested genuine call opens nothing
        seen["nested"] = float(x.numpy()[3])
        return y

    out = strict.traced(strict.OpTrace(), forward, [x])
    for k, v in seen.items():
        show(k, "nan" if math.isnan(v) else v)
    show("out", out.tolist() == [2.0 * v for v in range(1, 9)])
    show("inputs_restored", torch.equal(x, keep))
    show("after", float(x.numpy()[3]))
"""


def test_sealed_bytes_read_as_nan_outside_kernels_and_ops_and_are_restored(tmp_path: Path) -> None:
    # The script is the candidate here: its directory is the private one, so its kernel's body is one
    # the seal saw Triton compile from the file's own source (a kernel whose source it cannot check,
    # e.g. one defined in `python -c` code, runs sealed).
    script = tmp_path / "cand" / "forward.py"
    script.parent.mkdir()
    script.write_text(textwrap.dedent(_SCRIPT))
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "TRITON_INTERPRET": "1"},
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    got = dict(line.split("=", 1) for line in out.stdout.split() if "=" in line)
    assert got["raw_input"] == "nan"
    assert got["op_input"] == "4.0"
    assert got["raw_clone"] == "nan"
    assert got["raw_kernel_out"] == "nan"
    assert got["op_kernel_out"] == "8.0"
    assert got["forged_open"] == "nan"
    assert got["forged_end"] == "nan"
    assert got.get("direct", "nan") == "nan"
    assert got["nested"] == "nan"
    assert got["out"] == "True"
    assert got["inputs_restored"] == "True"
    assert got["after"] == "4.0"


# The candidate's module, written into its own private directory (what the worker treats as the
# candidate's files); run from a driver outside it.
_CANDIDATE = """
    import numpy as np
    import torch, triton, triton.language as tl

    SCALE = 2.0

    @triton.jit
    def twice(v):
        return v * SCALE

    @triton.jit
    def double(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
        offs = tl.arange(0, BLOCK)
        tl.store(y_ptr + offs, twice(tl.load(x_ptr + offs, mask=offs < n)), mask=offs < n)

    seen = {}

    def peek(x, y):
        def untyped_storage():  # called by the interpreter inside the launch, with the seal open
            seen["peek"] = float(x.numpy()[3])
            return torch.Tensor.untyped_storage(y)
        return untyped_storage

    def honest(x):
        y = torch.empty_like(x)
        double[(1,)](x, y, 8, BLOCK=8)
        return y

    def peeking(x):
        y = torch.empty_like(x)
        y.untyped_storage = peek(x, y)
        double[(1,)](x, y, 8, BLOCK=8)
        return y
"""

_DRIVER = """
    import importlib, math, sys
    import torch
    from kernelwright.worker import seal, strict
    from kernelwright.worker.launches import LaunchLedger

    ledger = LaunchLedger()
    ledger.install_triton()
    report = seal.install(ledger._s.originals, sys.argv[1])
    sys.path.insert(0, sys.argv[1])
    cand = importlib.import_module("cand")
    x = torch.arange(1.0, 9.0)
    out = strict.traced(strict.OpTrace(), lambda: cand.honest(x), [x])
    print("honest_out=" + str(out.tolist() == [2.0 * v for v in range(1, 9)]))
    print("honest_report=" + ",".join(report()))
    out = strict.traced(strict.OpTrace(), lambda: cand.peeking(x), [x])
    print("peek=" + str(cand.seen.get("peek")))
    print("peeking_out_right=" + str(out.tolist() == [2.0 * v for v in range(1, 9)]))
    print("peeking_report=" + ",".join(report()))
"""


def test_the_candidates_python_in_an_open_launch_shuts_the_seal(tmp_path: Path) -> None:
    """The window watcher: a kernel body compiled by Triton and a jit helper run with the seal open; a
    method the interpreter calls on a launch argument (an instance attribute of the candidate's) sees
    NaN, the rest of the launch computes on NaN (its answer is wrong), and the report names it
    (cheat_rt_seal3_* end to end)."""
    private = tmp_path / "cand"
    private.mkdir()
    (private / "cand.py").write_text(textwrap.dedent(_CANDIDATE))
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_DRIVER), str(private)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "TRITON_INTERPRET": "1"},
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    got = dict(line.split("=", 1) for line in out.stdout.split() if "=" in line)
    assert got["honest_out"] == "True" and got["honest_report"] == ""
    assert got["peek"] == "nan"  # the seal shut as soon as the candidate's function was called
    assert got["peeking_out_right"] == "False"  # the rest of the launch computed on NaN
    assert got["peeking_report"] == "python_in_kernel_window"
