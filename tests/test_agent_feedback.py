"""Feedback a model can act on: the failing case's inputs next to its label, the candidate's own
traceback frames without the harness's, and the performance lessons' change detector."""

from __future__ import annotations

from kernelwright.agent.feedback import CaseInputs, annotate, case_labels, lean_traceback
from kernelwright.knowledge.lessons import changes, performance_lesson
from kernelwright.verdict import Reason

SITE = "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages"
# Evidence as the judge reports a crash in the candidate's forward (CPU interpreter, torch 2.13).
CRASH = f'''Traceback (most recent call last):
  File "/work/main/src/kernelwright/worker/candidate.py", line 167, in run_case
    out, ms, host_ms, early = clock.time_call(
                              ^^^^^^^^^^^^^^^^
  File "/work/main/src/kernelwright/worker/clock.py", line 115, in time_call
    out = fn()
          ^^^^
  File "{SITE}/torch/nn/modules/module.py", line 1789, in _call_impl
    return forward_call(*args, **kwargs)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/tmp/kw-judge-bsdh455c/sandbox/candidate.py", line 20, in forward
    x = x.contiguous().view(-1, 37)
        ^^^^^^^^^^^^^^^^^^^^^^^^^^^
RuntimeError: shape '[-1, 37]' is invalid for input of size 1

RuntimeError: shape '[-1, 37]' is invalid for input of size 1
'''
# A Triton interpreter error whose head the judge's 2000-character tail cut in the middle of a frame.
INTERPRETER = f'''7/lib/python3.11/site-packages/triton/language/core.py", line 1866, in arange
    return _semantic.arange(start, end)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/triton/language/semantic.py", line 614, in arange
    raise ValueError("arange's arguments must be of type tl.constexpr")
ValueError: arange's arguments must be of type tl.constexpr

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/work/main/src/kernelwright/worker/launches.py", line 92, in _launch
    return call()
  File "{SITE}/triton/runtime/interpreter.py", line 1515, in __call__
    raise InterpreterError(repr(e)) from e
triton.runtime.errors.InterpreterError: ValueError("arange's arguments must be of type tl.constexpr")
'''


def test_lean_traceback_keeps_the_candidates_frames_only() -> None:
    lean = lean_traceback(CRASH)
    assert lean.splitlines() == [
        "Traceback (most recent call last):",
        "  [3 frames of kernelwright, torch, triton or Python omitted]",
        '  File "candidate.py", line 20, in forward',
        "    x = x.contiguous().view(-1, 37)",
        "        ^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        "RuntimeError: shape '[-1, 37]' is invalid for input of size 1",
    ]
    lean = lean_traceback(INTERPRETER)
    assert "site-packages" not in lean and "kernelwright/worker" not in lean and not lean.startswith("7/")
    assert "ValueError: arange's arguments must be of type tl.constexpr" in lean
    assert lean.rstrip().endswith(
        'InterpreterError: ValueError("arange\'s arguments must be of type tl.constexpr")'
    )


def test_annotate_writes_each_cases_inputs_once() -> None:
    cases = CaseInputs.from_task("arg0: float32[8192, 4096]", ["arg0: float32[1]", "arg0: float32[3, 4097]"])
    msg = "case fuzz:1 (fresh values in reused buffers): 3 of 12291 differ; repeat of case fuzz:1 too"
    out = annotate(msg, cases)
    assert out.startswith("case fuzz:1 (get_fuzz_inputs(1): arg0: float32[3, 4097]) (fresh values")
    assert out.count("float32[3, 4097]") == 1
    assert annotate("forward raised on case fuzz:0#0: boom", cases) == (
        "forward raised on case fuzz:0 (get_fuzz_inputs(0): arg0: float32[1]): boom"
    )
    assert "get_inputs() shapes, value seed 2: arg0: float32[8192, 4096]" in annotate("case seed:2: x", cases)
    assert annotate("case fuzz:9: x", cases) == "case fuzz:9: x"  # an unknown case stays as it was
    # the judge already said the inputs (a timeout names them): nothing added
    said = "timed out running forward on case fuzz:1 (inputs [[3, 4097]])"
    assert annotate(said, cases) == said
    assert case_labels("case fuzz:1: a; case seed:0: b; case fuzz:1 again") == ["fuzz:1", "seed:0"]


def test_a_reasons_own_case_wins_when_the_judge_provides_it() -> None:
    class WithCase(Reason):
        case: dict | None = None

    r = WithCase(
        code="KW-O001",
        message="case fuzz:1: 3 differ",
        case={"label": "fuzz:1", "seed": 1, "salt": 77, "inputs": [{"shape": [5, 7], "dtype": "float16"}]},
    )
    out = annotate(r.message, CaseInputs(), r)
    assert out == "case fuzz:1 (get_fuzz_inputs(1): arg0: float16[5, 7], value seed 77): 3 differ"


def test_performance_lesson_names_what_changed() -> None:
    slow = "@triton.jit\ndef a(BLOCK: tl.constexpr):\n    pass\n@triton.jit\ndef b():\n    pass\nk[g](x, BLOCK=256, num_warps=4)\n"
    fast = "@triton.autotune(configs=[], key=['n'])\n@triton.jit\ndef ab(BLOCK: tl.constexpr):\n    tl.dot(a, b)\nk[g](x, BLOCK=1024, num_warps=8)\n"
    found = changes(slow, fast, slow_launches=2, fast_launches=1)
    assert found[0] == "fusing work into fewer launches (2 -> 1 per forward)"
    assert {"adding @triton.autotune", "BLOCK 256 -> 1024", "num_warps 4 -> 8"} <= set(found)
    assert any("tl.dot" in f for f in found)
    lesson = performance_lesson(slow, fast, 1.1, 1.6, slow_launches=2, fast_launches=1)
    assert lesson is not None and lesson.startswith("faster (1.10x -> 1.60x over the stronger baseline)")
    assert performance_lesson(slow, fast, 1.5, 1.52) is None  # within noise
    assert performance_lesson(slow, slow + "\n", 1.0, 2.0) is None  # nothing recognisable changed
    assert performance_lesson(slow, fast, None, 2.0) is None  # not timed
