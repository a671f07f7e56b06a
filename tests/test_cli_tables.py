"""Issue #18: tables that read at 80 columns and when piped; `--help` without torch; the first hour's
smaller papercuts (a problem with no candidate, a directory given as a file, the demo's wording).

Readable means: every verdict word and every reason token appears whole (no `accepte|d`, no reason
cut at a fixed width), no line wider than the terminal, and no timing columns when nothing was timed.
"""

from __future__ import annotations

import io
import json
import logging
import os
import pty
import re
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.text import Text
from typer.testing import CliRunner

import kernelwright
from kernelwright.cli import app
from kernelwright.cli import render as render_mod
from kernelwright.cli.render import (
    WIDE,
    console,
    fast_p_table,
    hanging,
    suite_table,
    summary_table,
    tail_at_boundary,
    verdict_table,
    wrap_words,
)
from kernelwright.problem import bundled_dir
from kernelwright.verdict import Correctness, Environment, Reason, Timing, Verdict, sha256_text

ROOT = Path(__file__).resolve().parents[1]
RELU = bundled_dir() / "level1" / "relu.py"
ENV = Environment(device="cpu", interpreter=True, torch="2.13.0", triton="3.9.0", python="3.11")
WRONG_MESSAGE = (
    "case fuzz:1: 2 of 3 elements differ beyond atol=0.0001, rtol=0.0001 (max abs err 0.0169, "
    "max rel err 169, rel-RMS err 0.0568); first at [1]: got -0.0168809, expected 0, [2]: got "
    "-0.0105499, expected 0"
)
CRASH_MESSAGE = "the worker was killed by SIGSEGV while running forward on case fuzz:0 (inputs 1 float32)"
KB_NAME = "level_1_problem_19_sample_0_kernel.py"  # KernelBench's generated names: 37 characters
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _verdict(
    name: str, verdict: str = "accepted", category: str | None = None, message: str = "", timed: bool = False
) -> Verdict:
    reasons = [Reason(code="KW-O001", category=category, message=message)] if message else []
    timing = (
        Timing(
            candidate_ms=0.0123,
            eager_ms=0.02,
            compiled_ms=0.015,
            speedup_vs_eager=1.63,
            speedup_vs_compiled=1.22,
            samples=100,
            spread=0.01,
        )
        if timed
        else None
    )
    return Verdict(
        problem="level1/relu",
        candidate=name,
        candidate_sha256=sha256_text(name),
        verdict=verdict,  # type: ignore[arg-type]
        category=category,
        reasons=reasons,
        correctness=Correctness(fuzz_cases=13),
        timing=timing,
        environment=ENV,
    )


def _rows(timed: bool = False) -> list[tuple[str, str, Verdict | None, str | None]]:
    return [
        ("level1/relu", "relu_correct.py", _verdict("relu_correct.py", timed=timed), None),
        (
            "level1/relu",
            "relu_crash.py",
            _verdict("relu_crash.py", "rejected", "crash-or-timeout", CRASH_MESSAGE),
            None,
        ),
        (
            "level1/relu",
            "relu_wrong.py",
            _verdict("relu_wrong.py", "rejected", "wrong-output", WRONG_MESSAGE),
            None,
        ),
        (
            "level1/19_ReLU",
            KB_NAME,
            _verdict(KB_NAME, "rejected", "reference-passthrough", "calls torch.relu"),
            None,
        ),
        ("level1/gelu", "gelu.py", None, "the problem's reference failed: ValueError: bad shape"),
    ]


def _render(renderable: Any, width: int) -> str:
    c = Console(width=width, record=True, file=open(os.devnull, "w"))  # noqa: SIM115 - closed with c
    c.print(renderable)
    text = c.export_text()
    c.file.close()
    return text


def _tokens(text: str) -> set[str]:
    return set(re.split(r"[\s│┃]+", text))


def assert_readable(text: str, width: int | None = None) -> None:
    """Verdict words whole, every reason token whole, and (for a terminal) no line wider than it."""
    words = _tokens(text)
    for status in ("accepted", "rejected", "wrong-output", "crash-or-timeout"):
        assert status in words, (status, text)
    for message in (WRONG_MESSAGE, CRASH_MESSAGE):
        missing = set(message.split()) - words
        assert not missing, (missing, text)
    assert "accepte" not in words and "rejecte" not in words, text
    if width is not None:
        long = [line for line in text.splitlines() if len(line.rstrip()) > width]
        assert not long, long


# --- the suite table's two layouts -------------------------------------------------------------------


def test_suite_table_at_80_columns_is_the_compact_layout_with_whole_words() -> None:
    text = _render(suite_table(_rows(), width=80), 80)
    assert_readable(text, width=80)
    assert "┃" not in text and "│" not in text  # no table: one line per candidate under its problem
    assert re.search(r"^  relu_wrong\.py +rejected  wrong-output$", text, re.M), text
    assert re.search(rf"^  {re.escape(KB_NAME)}  rejected  reference-passthrough$", text, re.M), text
    assert re.search(r"^level1/gelu$\n^  gelu\.py +error$\n^ {6}the problem's reference failed", text, re.M)
    # the long reason is whole, wrapped at spaces onto indented lines, its code in front
    reason_lines = [ln.strip() for ln in text.splitlines() if ln.startswith("      ")]
    assert " ".join(reason_lines).count(f"KW-O001 {WRONG_MESSAGE}") == 1
    assert "ms" not in _tokens(text) and "vs eager" not in text  # nothing timed: no timing at all


def test_suite_table_wide_is_one_table_row_per_candidate_without_timing_columns() -> None:
    text = _render(suite_table(_rows(), width=WIDE), WIDE)
    assert_readable(text, width=WIDE)
    header = next(line for line in text.splitlines() if "problem" in line and "candidate" in line)
    assert "first reason" in header and " ms " not in header and "vs eager" not in header
    row = next(line for line in text.splitlines() if "relu_crash.py" in line)
    assert "rejected" in row and "crash-or-timeout" in row and "KW-X001" not in row
    assert f"KW-O001 {CRASH_MESSAGE}" in row  # a reason under the column width stays on its row


def test_timing_columns_appear_when_some_row_was_timed() -> None:
    wide = _render(suite_table(_rows(timed=True), width=WIDE), WIDE)
    header = next(line for line in wide.splitlines() if "candidate" in line)
    assert "ms" in header and "vs eager" in header and "vs compile" in header
    row = next(line for line in wide.splitlines() if "relu_correct.py" in line)
    assert "0.0123" in row and "1.63x" in row and "1.22x" in row
    compact = _render(suite_table(_rows(timed=True), width=80), 80)
    assert "0.0123 ms, 1.63x vs eager, 1.22x vs compile" in compact
    assert_readable(compact, width=80)


def test_a_terminal_just_too_narrow_for_the_table_gets_the_compact_layout() -> None:
    # The wide layout is chosen only where the reason column keeps REASON_MIN characters.
    for width in (100, 120):
        text = _render(suite_table(_rows(), width=width), width)
        assert_readable(text, width=width)


def test_verdict_table_at_80_columns_wraps_reasons_at_spaces() -> None:
    v = _verdict("relu_wrong.py", "rejected", "wrong-output", WRONG_MESSAGE)
    text = _render(verdict_table(v), 80)
    words = _tokens(text)
    assert not set(WRONG_MESSAGE.split()) - words
    assert all(len(line) <= 80 for line in text.splitlines())


def test_evidence_tail_starts_at_a_line_or_word_boundary() -> None:
    trace = "\n".join(f'  File "/sandbox/candidate.py", line {i}, in forward' for i in range(40))
    trace += "\nSyntaxError: expected ':'"
    shown = tail_at_boundary(trace, 400)
    assert shown.endswith("SyntaxError: expected ':'") and len(shown) <= 402
    assert shown.startswith("… ") and shown[2:].startswith("  File ")  # a whole line, not `…ndidate.py`
    one_line = "word " * 200
    tail = tail_at_boundary(one_line, 400)
    assert tail.startswith("… word") and len(tail) <= 402
    assert tail_at_boundary("short", 400) == "short"


def test_wrap_words_splits_only_a_token_wider_than_the_line() -> None:
    lines = wrap_words("see /" + "x" * 100 + " and atol=0.0001, rtol=0.0001", 40, 4)
    assert all(len(line) <= 40 for line in lines)
    assert lines[0] == "    see" and lines[-1].strip() == "and atol=0.0001, rtol=0.0001"


def test_hanging_indent_keeps_every_line_inside_the_width() -> None:
    from kernelwright.cli.demo import MEANT

    why = MEANT["relu_no_mask.py"][1]
    text = hanging(f"relu_no_mask.py: meant to be rejected: {why}", 80, first=3, rest=6)
    lines = text.splitlines()
    assert len(lines) > 1 and all(len(line) <= 80 for line in lines)
    assert lines[0].startswith("   relu_no_mask.py:") and all(ln.startswith("      ") for ln in lines[1:])
    assert " ".join(text.split()) == f"relu_no_mask.py: meant to be rejected: {why}"  # nothing cut


def test_summary_counts_problems_without_a_candidate_and_leaves_out_untimed_fast_p() -> None:
    summary = {
        "candidates": 2,
        "problems": 2,
        "accepted": 1,
        "rejected": 1,
        "skipped": 0,
        "errors": [],
        "without_candidate": ["gelu_tanh"],
        "categories": {"wrong-output": 1},
        "fast_0_vs_eager": 0.5,
    }
    text = _render(summary_table(summary, timed=False), 80)
    assert "2 on 2 problems: 1 accepted, 1 rejected, 0 skipped" in text
    assert "1 problem had no candidate to judge: gelu_tanh" in text
    assert "fast_1=" not in text and "no candidate was timed" in text
    assert "fast_0=0.50" in _render(summary_table(summary, timed=True), 80)


def test_fast_p_table_fits_80_columns_timed_or_not() -> None:
    row = {
        "correct": 1,
        "fast_0": 0.5,
        "fast_0.5": 0.5,
        "fast_0.8": 0.5,
        "fast_1": 0.5,
        "fast_1.5": None,
        "fast_2": None,
    }
    block = {
        "speedup": "eager reference time / candidate time",
        "thresholds": [0.0, 0.5, 0.8, 1.0, 1.5, 2.0],
        "problems": 2,
        "kernelbench": {**row, "correct": 2, "fast_0": 1.0},
        "strict": row,
    }
    timed = _render(fast_p_table(block, timed=True), 80)
    assert all(len(line.rstrip()) <= 80 for line in timed.splitlines()), timed
    header = next(line for line in timed.splitlines() if "correct by" in line)
    assert all(f"p={p}" in header for p in ("0", "0.5", "0.8", "1", "1.5", "2")), header
    kb = next(line for line in timed.splitlines() if line.startswith("│ KernelBench"))
    assert "2 of 2" in kb and "1.00" in kb
    untimed = _render(fast_p_table(block, timed=False), 80)
    assert "p=0.5" not in untimed and "p=0" in untimed and "no candidate was timed" in untimed


# --- the console: terminal width on a terminal, wide and plain when piped ----------------------------


class _Tty:
    def isatty(self) -> bool:
        return True

    def write(self, s: str) -> int:
        return len(s)

    def flush(self) -> None:
        pass


def test_console_is_wide_when_piped_and_the_terminal_width_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # a pipe or a file: not a terminal
    assert console().width == WIDE
    monkeypatch.setattr(sys, "stdout", _Tty())
    assert console().width == 80


def test_kb_list_uses_the_same_console_rule() -> None:
    from kernelwright.cli import store as store_cli

    assert store_cli._console is render_mod.console


# --- through the CLI (typer's runner: stdout is not a terminal) -----------------------------------------


def _fake_verdict(item: Any, config: Any) -> Verdict:
    name = item.candidate.name
    if "wrong" in name:
        return _verdict(name, "rejected", "wrong-output", WRONG_MESSAGE).model_copy(
            update={"problem": item.problem.id}
        )
    return _verdict(name).model_copy(update={"problem": item.problem.id})


def _suite_dirs(tmp_path: Path) -> tuple[Path, Path]:
    problems, cands = tmp_path / "problems", tmp_path / "cands"
    problems.mkdir()
    (cands / "relu").mkdir(parents=True)
    (problems / "relu.py").write_text(RELU.read_text())
    (problems / "gelu_tanh.py").write_text((bundled_dir() / "level1" / "gelu_tanh.py").read_text())
    for name in ("relu_correct.py", "relu_wrong.py"):
        (cands / "relu" / name).write_text((ROOT / "examples" / name).read_text())
    return problems, cands


def test_suite_run_piped_is_wide_and_names_the_problem_without_a_candidate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kernelwright.cli import suite as suite_cli

    monkeypatch.setattr(suite_cli, "executor_judge", lambda name, address=None, per_gpu=1: _fake_verdict)
    problems, cands = _suite_dirs(tmp_path)
    res = CliRunner().invoke(
        app, ["suite", "run", str(problems), str(cands), "--no-store"], env={"COLUMNS": "80"}
    )
    # not every problem had a candidate: never a silent exit 0
    assert res.exit_code == 1, res.output
    warning = [line for line in res.stderr.splitlines() if "no candidate" in line]
    assert warning == [
        f"kernelwright: warning: 1 problem(s) had no candidate in {cands} and were not judged: gelu_tanh"
    ]
    out = res.stdout
    row = next(line for line in out.splitlines() if "relu_wrong.py" in line)
    assert "rejected" in row and "wrong-output" in row and "KW-O001 case fuzz:1:" in row
    assert max(len(line) for line in out.splitlines()) > 80  # wide, though COLUMNS says 80
    assert "1 problem had no candidate to judge: gelu_tanh" in out
    assert not set(WRONG_MESSAGE.split()) - _tokens(out)


def test_suite_run_json_still_exits_1_for_a_problem_without_a_candidate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kernelwright.cli import suite as suite_cli

    monkeypatch.setattr(
        suite_cli,
        "executor_judge",
        lambda name, address=None, per_gpu=1: lambda item, cfg: _verdict(item.candidate.name),
    )
    problems, cands = _suite_dirs(tmp_path)
    (cands / "relu" / "relu_wrong.py").unlink()
    res = CliRunner().invoke(app, ["suite", "run", str(problems), str(cands), "--no-store", "--json"])
    body = json.loads(res.stdout)
    assert body["summary"]["accepted"] == 1 and body["summary"]["without_candidate"] == ["gelu_tanh"]
    assert res.exit_code == 1 and "gelu_tanh" in res.stderr
    (problems / "gelu_tanh.py").unlink()  # every problem has a candidate, every candidate accepted
    res = CliRunner().invoke(app, ["suite", "run", str(problems), str(cands), "--no-store", "--json"])
    assert res.exit_code == 0 and "no candidate" not in res.stderr


def test_verify_at_80_columns_on_a_terminal_and_piped(monkeypatch: pytest.MonkeyPatch) -> None:
    from kernelwright.cli import verify as verify_cli

    wrong = _verdict("relu_wrong.py", "rejected", "wrong-output", WRONG_MESSAGE)
    monkeypatch.setattr(
        verify_cli, "judge_and_record", lambda p, c, cfg, store, repeat=1: (wrong, wrong.to_json_dict())
    )
    args = ["verify", str(RELU), str(ROOT / "examples" / "relu_wrong.py"), "--no-store"]
    piped = CliRunner().invoke(app, args, env={"COLUMNS": "80"})
    assert piped.exit_code == 1
    row = next(line for line in piped.stdout.splitlines() if "KW-O001" in line)
    assert "beyond atol=0.0001, rtol=0.0001 (max abs err 0.0169, max rel err 169" in row  # wide, not 80
    assert not set(WRONG_MESSAGE.split()) - _tokens(piped.stdout)  # the rest wrapped at a space
    monkeypatch.setattr(render_mod, "_isatty", lambda stream: True)  # an 80-column terminal
    tty = CliRunner().invoke(app, args, env={"COLUMNS": "80"})
    assert all(len(line) <= 80 for line in tty.stdout.splitlines()), tty.stdout
    assert not set(WRONG_MESSAGE.split()) - _tokens(tty.stdout)


# --- bad paths: a directory for a file, a file for a directory ----------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["repro", str(RELU), "{examples}", "--case", "fuzz:0"],
            "candidate file {examples} is a directory, not a file",
        ),
        (
            ["verify", str(RELU), "{examples}", "--no-store"],
            "candidate {examples} is a directory, not a file",
        ),
        (
            ["verify", str(RELU), "{good}", "--no-store", "--config", "{examples}"],
            "config file {examples} is a directory, not a file",
        ),
        (
            ["suite", "run", str(RELU.parent), "{good}", "--no-store"],
            "candidates directory {good} is a file, not a directory",
        ),
        (
            ["suite", "run", "{good}", "{examples}", "--no-store"],
            "problems directory {good} is a file, not a directory",
        ),
        (
            ["optimize", "{examples}", "--provider", "replay", "--replay", "{recording}", "--no-store"],
            "problem file {examples} is a directory, not a file",
        ),
        (
            ["optimize-suite", "{good}", "--provider", "replay", "--replay", "{recording}", "--no-store"],
            "problems directory {good} is a file, not a directory",
        ),
    ],
)
def test_the_wrong_kind_of_path_is_named_in_one_line(args: list[str], expected: str) -> None:
    names = {
        "examples": str(ROOT / "examples"),
        "good": str(ROOT / "examples" / "relu_correct.py"),
        "recording": str(ROOT / "recordings" / "relu-demo"),
    }
    res = CliRunner().invoke(app, [a.format(**names) for a in args])
    assert res.exit_code == 2, res.output
    assert res.stderr.splitlines() == [f"kernelwright: {expected.format(**names)}"]
    assert "not found" not in res.stderr


# --- --help: fast (no torch, no SQLAlchemy), click-style usage, every option explained ----------------


def _env() -> dict[str, str]:
    src = str(Path(kernelwright.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["verify", "--help"],
        ["suite", "run", "--help"],
        ["demo", "--help"],
        ["kb", "list", "--help"],
    ],
)
def test_help_imports_neither_torch_nor_sqlalchemy(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from kernelwright.cli.app import main\n"
        f"sys.argv = ['kernelwright', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "heavy = [m for m in ('torch', 'triton', 'sqlalchemy', 'ray') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=_env()
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Usage: kernelwright")


def _commands() -> list[tuple[list[str], Any]]:
    import typer.main

    def walk(cmd: Any, path: list[str]) -> Any:
        for name, sub in getattr(cmd, "commands", {}).items():
            if getattr(sub, "commands", None) is not None:
                yield from walk(sub, [*path, name])
            else:
                yield [*path, name], sub

    return list(walk(typer.main.get_command(app), []))


def test_every_option_and_argument_has_help_text() -> None:
    missing = [
        (" ".join(path), p.name)
        for path, cmd in _commands()
        for p in cmd.params
        if not getattr(p, "help", None)
    ]
    assert not missing, missing


def test_usage_lines_read_like_click_not_a_template() -> None:
    runner = CliRunner()
    odd = []
    for path, _ in _commands():
        text = runner.invoke(app, [*path, "--help"]).output
        usage = text.split("\n\n")[0]
        if re.search(r"\{\w+\}|<list\[", text) or "{" in usage:
            odd.append((path, usage))
    assert not odd, odd
    verify = runner.invoke(app, ["verify", "--help"]).output
    assert verify.startswith("Usage: kernelwright verify [OPTIONS] PROBLEM CANDIDATE\n")
    report = runner.invoke(app, ["report", "--help"]).output
    assert "RESULTS..." in report and "list[Path]" not in report
    suite = runner.invoke(app, ["suite", "run", "--help"]).output
    assert "PROBLEMS_DIR [CANDIDATES_DIR]" in " ".join(suite.split())


# --- the demo -------------------------------------------------------------------------------------------


def test_demo_says_which_examples_are_meant_to_fail_keeps_its_run_folder_and_ends_with_next_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kernelwright.judge import pipeline

    outcomes = {
        "relu_correct.py": ("accepted", None),
        "relu_crash.py": ("rejected", "crash-or-timeout"),
        "relu_no_mask.py": ("rejected", "crash-or-timeout"),
        "relu_wrong.py": ("accepted", None),  # a surprise: the demo must say so
    }

    def fake_judge(problem: object, candidate: Path, config: object = None, repeat: int = 1) -> Verdict:
        verdict, category = outcomes[Path(candidate).name]
        msg = CRASH_MESSAGE if category else ""
        return _verdict(Path(candidate).name, verdict, category, msg)

    ran: list[list[str]] = []

    def fake_optimize(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        ran.append(cmd)  # the child `optimize --out DIR` writes its run folder; stand in for it
        out = Path(cmd[cmd.index("--out") + 1])
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps({"status": "solved", "turns": 3, "failures": {}}))
        (out / "best.py").write_text("# the accepted kernel\n")
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(pipeline, "judge", fake_judge)
    monkeypatch.setattr(subprocess, "run", fake_optimize)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the kept run folder lands in tmp_path
    monkeypatch.chdir(ROOT)
    recording = tmp_path / "rec"
    recording.mkdir()
    res = CliRunner().invoke(
        app,
        ["demo", "--examples", "examples", "--recording", str(recording), "--no-store"],
        env={"COLUMNS": "80"},
    )
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "3 of 4 are meant to fail" in out
    assert "relu_crash.py: meant to be rejected: its forward segfaults" in out
    assert "relu_crash.py: rejected (crash-or-timeout) in 0.0 s, as meant" in out
    assert re.search(r"relu_wrong\.py: accepted in 0\.0 s, .*meant to be rejected", out)
    assert "1 example(s) did not get the verdict they are meant to get" in res.stderr
    kept = re.search(r"the agent's run folder \(kept\): (\S+)", out)
    assert kept and (Path(kept.group(1)) / "best.py").is_file()  # what it prints a path to still exists
    assert Path(kept.group(1)).parent == tmp_path and Path(kept.group(1)).name.startswith("kw-demo-run-")
    assert Path(kept.group(1)) == Path(ran[0][ran[0].index("--out") + 1])
    nxt = out.split("\nNext\n", 1)[1].splitlines()
    commands = [line.strip() for line in nxt if line.startswith("  kernelwright ")]
    rel = "src/kernelwright/problems/level1/relu.py"
    assert commands == [
        f"kernelwright verify {rel} examples/relu_wrong.py",
        f"kernelwright repro {rel} examples/relu_wrong.py --case fuzz:1",
        f"kernelwright optimize {rel} --provider openai --model MODEL --base-url URL",
    ]
    assert "accepted accepted" not in out
    assert "agent session: status solved, turns 3, failures none" in out


def test_demo_repro_step_names_the_case_the_wrong_example_failed_on() -> None:
    from kernelwright.cli.demo import failing_case

    assert failing_case(_verdict("w.py", "rejected", "wrong-output", WRONG_MESSAGE)) == "fuzz:1"
    repeat = "case seed:0 (repeat): 3 of 8 elements differ"
    assert failing_case(_verdict("w.py", "rejected", "wrong-output", repeat)) == "seed:0"
    assert failing_case(_verdict("c.py", "rejected", "crash-or-timeout", CRASH_MESSAGE)) == "fuzz:0"
    assert failing_case(_verdict("a.py")) == "fuzz:1" and failing_case(None, "fuzz:2") == "fuzz:2"


def test_demo_next_step_commands_parse(tmp_path: Path) -> None:
    """The commands the demo suggests are real: each one's options exist (checked with --help)."""
    from kernelwright.cli.demo import next_steps

    for command, _ in next_steps("src/kernelwright/problems/level1/relu.py", "examples"):
        argv = command.split()[1:]
        sub = argv[0]
        options = [a for a in argv if a.startswith("--")]
        text = CliRunner().invoke(app, [sub, "--help"]).output
        assert all(o in text for o in options), (command, options)


def test_attempt_line_says_accepted_once() -> None:
    from kernelwright.agent.attempt import Attempt
    from kernelwright.agent.report import attempt_line

    a = Attempt(3, 0, candidate="x", verdict=_verdict("c.py"))
    line = Text.from_markup(attempt_line(a)).plain  # as the terminal shows it
    assert "accepted accepted" not in line and "turn 3 sample 0: accepted (no timing on CPU)" in line
    wrong = Attempt(2, 0, candidate="x", verdict=_verdict("c.py", "rejected", "wrong-output", WRONG_MESSAGE))
    shown = Text.from_markup(attempt_line(wrong)).plain
    reason = shown.split(": wrong-output ", 1)[1].rsplit(" (0+0 tok", 1)[0]
    assert reason.startswith("KW-O001 case fuzz:1:") and reason.endswith(" …")  # shortened...
    assert set(reason[:-2].split()) <= set(f"KW-O001 {WRONG_MESSAGE}".split())  # ...at a space


# --- Ray's start-up notice ------------------------------------------------------------------------------


def test_ray_token_notice_is_dropped_and_other_ray_warnings_are_not() -> None:
    from kernelwright.cli.suite import RAY_TOKEN_LOGGER, quiet_ray_notices

    quiet_ray_notices()
    quiet_ray_notices()  # idempotent: one filter
    logger = logging.getLogger(RAY_TOKEN_LOGGER)
    assert len(logger.filters) == 1

    # Listen on the notice's own logger, not the root's (caplog): once ray is imported, as another test
    # in this worker may have done, its "ray" logger stops propagating to the root.
    class Collect(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.WARNING)
            self.messages: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.messages.append(record.getMessage())

    seen = Collect()
    logger.addHandler(seen)
    try:
        logger.warning("Token authentication is enabled for this Ray cluster. Set RAY_AUTH_MODE=disabled ...")
        logger.warning(
            "Token authentication is disabled for this Ray cluster. Anyone with network access ..."
        )
    finally:
        logger.removeHandler(seen)
    assert len(seen.messages) == 1 and seen.messages[0].startswith("Token authentication is disabled")


# --- end to end: the real judge, a real pseudo-terminal, a real pipe (slow) -----------------------------


def _run_in_pty(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[int, str, str]:
    """Run ``cmd`` with stdout on a pseudo-terminal (what a user's shell gives it); stderr to a file."""
    master, slave = pty.openpty()
    err_path = Path(env["KERNELWRIGHT_HOME"]) / "stderr.txt"
    with open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=slave, stderr=err, env=env)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    exited_at: float | None = None
    while time.monotonic() < deadline:
        # After the command exits, drain for a moment only: a worker it left behind may hold the pty.
        if exited_at is None and proc.poll() is not None:
            exited_at = time.monotonic()
        if exited_at is not None and time.monotonic() - exited_at > 2:
            break
        ready, _, _ = select.select([master], [], [], 0.2)
        if not ready:
            continue
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every writer closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    text = ANSI.sub("", b"".join(chunks).decode("utf-8", "replace")).replace("\r\n", "\n")
    return code, text, err_path.read_text()


@pytest.mark.slow
def test_suite_run_on_an_80_column_terminal_for_real(tmp_path: Path) -> None:
    problems, cands = _suite_dirs(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = {**_env(), "COLUMNS": "80", "TERM": "xterm", "KERNELWRIGHT_HOME": str(home)}
    cmd = [sys.executable, "-m", "kernelwright", "suite", "run", str(problems), str(cands)]
    code, out, err = _run_in_pty([*cmd, "--no-store", "--fuzz", "2", "--seeds", "1"], env, timeout=600)
    assert code == 1, (out, err)
    assert all(len(line) <= 80 for line in out.splitlines()), out
    assert re.search(r"^  relu_correct\.py +accepted$", out, re.M), out
    assert re.search(r"^  relu_wrong\.py +rejected  wrong-output$", out, re.M), out
    reason = " ".join(
        line.strip()
        for line in out.splitlines()
        if line.startswith("      KW-O001") or line.startswith("      ")
    )
    assert "KW-O001 case fuzz:" in reason and "differ beyond atol=" in reason
    assert "gelu_tanh" in out and "gelu_tanh" in err  # counted in the summary and said on stderr


@pytest.mark.slow
def test_verify_piped_for_real_keeps_each_reason_on_its_row(tmp_path: Path) -> None:
    env = {**_env(), "COLUMNS": "80", "KERNELWRIGHT_HOME": str(tmp_path)}
    cmd = [
        sys.executable,
        "-m",
        "kernelwright",
        "verify",
        str(RELU),
        str(ROOT / "examples" / "relu_wrong.py"),
    ]
    proc = subprocess.run(
        [*cmd, "--no-store", "--fuzz", "2", "--seeds", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if "KW-O001" in line]
    assert rows and all("expected" in row for row in rows[:-1]), proc.stdout  # a mismatch report: one line
    assert "rejected (wrong-output)" in proc.stdout
    assert "\x1b[" not in proc.stdout  # plain: no colour codes in a pipe


def test_optimize_summary_says_accepted_once() -> None:
    from kernelwright.agent.report import summary_table as optimize_summary

    s = {
        "problem": "level1/relu",
        "provider": "replay",
        "model": "fake-kernel-model",
        "status": "accepted",
        "stop_reason": "an accepted kernel (no GPU: correctness is the goal; timing needs a GPU)",
        "best": {"turn": 3, "sample": 0, "speedup": None},
        "strategy": "refine",
        "turns": 3,
        "attempts": 3,
        "accepted_attempts": 1,
        "tokens": {"in": 4397, "out": 533},
        "cost_usd": 0.0,
        "priced": False,
        "retries": 0,
        "seconds": 82.5,
        "failures": {"compile-error": 1, "wrong-output": 1},
        "wrong_output_codes": {"KW-O001": 1},
    }
    text = " ".join(_render(optimize_summary(s), WIDE).split())
    assert "accepted (no GPU: correctness is the goal; timing needs a GPU)" in text
    assert "an accepted kernel" not in text
    plateau = {
        **s,
        "status": "plateau",
        "stop_reason": "2 rounds without a faster accepted kernel (patience 2)",
    }
    assert "plateau (2 rounds without a faster accepted kernel (patience 2))" in " ".join(
        _render(optimize_summary(plateau), WIDE).split()
    )
