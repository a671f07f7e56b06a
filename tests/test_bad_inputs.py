"""The bad-input sweep (issue 17): every command x {missing path, directory, empty file, binary file,
malformed content, out-of-range option}.

A bad invocation is exit 2 and exactly one line on stderr, never a traceback and never an "internal
error" (the safety net in cli/app.py that would hide a missing check). A bad *candidate* is a verdict
instead (exit 1 with a reason) or, when it cannot even be read, bad input as well.

In-process through typer's CliRunner, and nothing here judges a real candidate: the judge is
replaced by `fake_judge`, which fails the test if a bad invocation got as far as judging.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kernelwright.cli import app
from kernelwright.problem import bundled_dir

ROOT = Path(__file__).resolve().parents[1]
RELU = bundled_dir() / "level1" / "relu.py"
GOOD = ROOT / "examples" / "relu_correct.py"
REPLAY = ROOT / "recordings" / "relu-demo"
runner = CliRunner()


@pytest.fixture
def bad(tmp_path: Path) -> dict[str, Path]:
    """One of each kind of bad path."""
    paths = {
        "missing": tmp_path / "missing.py",
        "directory": tmp_path / "a_dir",
        "empty": tmp_path / "empty.py",
        "binary": tmp_path / "binary.py",
        "malformed": tmp_path / "malformed.py",
    }
    paths["directory"].mkdir()
    paths["empty"].write_bytes(b"")
    paths["binary"].write_bytes(bytes(range(256)) * 4)
    paths["malformed"].write_text("def broken(:\n    return [\n")
    return paths


@pytest.fixture(autouse=True)
def fake_judge(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """No test in this file judges for real: a call here means a bad invocation was not stopped."""
    import kernelwright.judge
    from kernelwright.errors import BadInput
    from kernelwright.problem import load_problem

    calls: list[Any] = []

    def judge(problem: Any, candidate: Any, *args: Any, **kwargs: Any) -> Any:
        # What the real judge checks before any worker starts: the problem parses, the candidate reads.
        load_problem(problem)
        try:
            Path(candidate).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"cannot read candidate {candidate}: {exc}") from exc
        calls.append((problem, candidate))
        raise AssertionError(f"a bad invocation reached the judge: {problem}, {candidate}")

    monkeypatch.setattr(kernelwright.judge, "judge", judge, raising=False)
    return calls


def invoke(*args: Any, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, [str(a) for a in args], env=env)


def assert_one_line(res: Any, code: int = 2) -> str:
    """Exit ``code``, exactly one stderr line, no traceback, no internal error; returns the line."""
    out = (res.stdout or "") + (res.stderr or "")
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in out, out
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert res.exit_code == code, (res.exit_code, res.stderr[-2000:], res.stdout[-2000:])
    assert len(lines) == 1, res.stderr
    assert "internal error" not in lines[0], lines[0]
    assert lines[0].startswith("kernelwright: "), lines[0]
    return lines[0]


PATH_KINDS = ("missing", "directory", "empty", "binary", "malformed")


# Commands with a path argument: how to call each with a bad PATH. Empty and malformed inputs that are
# legitimately valid for a command are left out below (an empty TOML config is a valid config).
PATH_COMMANDS: dict[str, Callable[[Path, Path], list[Any]]] = {
    "verify-problem": lambda p, tmp: ["verify", p, GOOD, "--no-store"],
    "verify-config": lambda p, tmp: ["verify", RELU, GOOD, "--no-store", "--config", p],
    "suite-problems": lambda p, tmp: ["suite", "run", p, "--candidates", tmp, "--no-store"],
    "suite-candidates": lambda p, tmp: ["suite", "run", RELU.parent, "--candidates", p, "--no-store"],
    "report": lambda p, tmp: ["report", p],
    "optimize": lambda p, tmp: ["optimize", p, "--replay", REPLAY, "--out", tmp / "o", "--no-store"],
    "optimize-config": lambda p, tmp: ["optimize", RELU, "--replay", REPLAY, "--config", p, "--no-store"],
    "optimize-suite": lambda p, tmp: [
        "optimize-suite",
        p,
        "--replay",
        REPLAY,
        "--out",
        tmp / "o",
        "--no-store",
    ],
    "init-task": lambda p, tmp: ["init-task", p, "--entry", "Model", "--out", tmp / "p.py"],
    "kb-search-like": lambda p, tmp: ["kb", "search", "--like", p, "--db", f"sqlite:///{tmp / 'kw.db'}"],
    "verdict-check": lambda p, tmp: ["verdict", "check", p],
    "kb-list-db": lambda p, tmp: ["kb", "list", "--db", f"sqlite:///{p}"],
    "export-db": lambda p, tmp: ["export", "--out", tmp / "x.jsonl", "--db", f"sqlite:///{p}"],
    "verify-db": lambda p, tmp: ["verify", RELU, GOOD, "--db", f"sqlite:///{p}"],
    "suite-db": lambda p, tmp: ["suite", "run", RELU.parent, "--candidates", tmp, "--db", f"sqlite:///{p}"],
    "demo-examples": lambda p, tmp: ["demo", "--examples", p, "--no-store"],
    "repro-problem": lambda p, tmp: ["repro", p, GOOD, "--case", "fuzz:0"],
    "repro-candidate": lambda p, tmp: ["repro", RELU, p, "--case", "fuzz:0"],
    "skills-project": lambda p, tmp: ["skills", "install", "--claude", "--project", p],
}
# (command, kind) pairs whose input is valid, or not a path the command reads as a file.
VALID = {
    ("verify-config", "empty"),  # an empty TOML file: the defaults
    ("optimize-config", "empty"),
    ("kb-list-db", "missing"),  # a new database file is created
    ("export-db", "missing"),
    ("verify-db", "missing"),
    ("suite-db", "missing"),
    ("kb-search-like", "empty"),  # an empty problem file is simply like nothing
    ("kb-search-like", "malformed"),
    ("repro-candidate", "empty"),  # a bad candidate: repro runs it and reports what went wrong
    ("repro-candidate", "malformed"),
}
# Folders: a file in their place is the bad input; a directory is the valid kind.
FOLDER_COMMANDS = {"suite-problems", "suite-candidates", "optimize-suite", "demo-examples", "skills-project"}


@pytest.mark.parametrize("kind", PATH_KINDS)
@pytest.mark.parametrize("command", sorted(PATH_COMMANDS))
def test_bad_path_is_one_line_exit_2(command: str, kind: str, bad: dict[str, Path], tmp_path: Path) -> None:
    if (command, kind) in VALID or (command in FOLDER_COMMANDS and kind == "directory"):
        pytest.skip("a valid input for this command")
    work = tmp_path / "work"
    work.mkdir()
    line = assert_one_line(invoke(*PATH_COMMANDS[command](bad[kind], work)))
    if kind == "missing" and command not in FOLDER_COMMANDS:
        assert "missing.py" in line
    if kind == "directory" and command.startswith("verify-problem"):
        assert "is a directory, not a file" in line


@pytest.mark.parametrize("kind", ("missing", "directory", "binary"))
def test_unreadable_candidate_is_one_line_exit_2(kind: str, bad: dict[str, Path]) -> None:
    line = assert_one_line(invoke("verify", RELU, bad[kind], "--no-store"))
    if kind == "directory":
        assert line.endswith("is a directory, not a file")


@pytest.mark.parametrize("kind", ("missing", "directory", "binary"))
def test_guard_unreadable_file_is_one_line_exit_2(kind: str, bad: dict[str, Path]) -> None:
    assert_one_line(invoke("guard", bad[kind]))


def test_guard_non_utf8_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.py"
    path.write_bytes("# caf\xe9\nclass ModelNew: pass\n".encode("latin-1"))
    assert "cannot read candidate" in assert_one_line(invoke("guard", path))


def test_guard_malformed_candidate_is_a_finding_not_an_error(bad: dict[str, Path]) -> None:
    res = invoke("guard", bad["malformed"])
    assert res.exit_code == 1 and "KW-S000" in res.stdout and not res.stderr.strip()


OPTIONS: dict[str, list[Any]] = {
    "verify --seeds -3": ["verify", RELU, GOOD, "--no-store", "--seeds", "-3"],
    "verify --seeds 0 --fuzz 0": ["verify", RELU, GOOD, "--no-store", "--seeds", "0", "--fuzz", "0"],
    "verify --fuzz 100000": ["verify", RELU, GOOD, "--no-store", "--fuzz", "100000"],
    "verify --timeout 0": ["verify", RELU, GOOD, "--no-store", "--timeout", "0"],
    "verify --timeout nan": ["verify", RELU, GOOD, "--no-store", "--timeout", "nan"],
    "verify --seeds abc": ["verify", RELU, GOOD, "--no-store", "--seeds", "abc"],
    "verify --device gpu": ["verify", RELU, GOOD, "--no-store", "--device", "gpu"],
    "verify --no-such-flag": ["verify", RELU, GOOD, "--no-such-flag"],
    "verify (no arguments)": ["verify"],
    "verify (one argument)": ["verify", RELU],
    "verify --db nonsense://": ["verify", RELU, GOOD, "--db", "nonsense://x"],
    "verify --db not a url": ["verify", RELU, GOOD, "--db", "not a url"],
    "suite run --jobs 0": ["suite", "run", RELU.parent, "--candidates", ROOT / "examples", "--jobs", "0"],
    "suite run --jobs -1": ["suite", "run", RELU.parent, "--candidates", ROOT / "examples", "--jobs", "-1"],
    "suite run --executor nope": [
        "suite",
        "run",
        RELU.parent,
        "--candidates",
        ROOT / "examples",
        "--executor",
        "x",
    ],
    "suite run --resume unknown": [
        "suite",
        "run",
        RELU.parent,
        "--candidates",
        ROOT / "examples",
        "--resume",
        "no",
    ],
    "suite run --resume --no-store": [
        *("suite", "run", RELU.parent, "--candidates", ROOT / "examples", "--resume", "x", "--no-store")
    ],
    "suite run --seeds -1": ["suite", "run", RELU.parent, "--candidates", ROOT / "examples", "--seeds", "-1"],
    "suite run (no --candidates)": ["suite", "run", RELU.parent],
    "optimize --samples 0": ["optimize", RELU, "--replay", REPLAY, "--samples", "0", "--no-store"],
    "optimize --max-turns -1": ["optimize", RELU, "--replay", REPLAY, "--max-turns", "-1", "--no-store"],
    "optimize --strategy nope": ["optimize", RELU, "--replay", REPLAY, "--strategy", "nope", "--no-store"],
    "optimize --provider nope": ["optimize", RELU, "--provider", "nope", "--model", "m", "--no-store"],
    "optimize --replay missing": ["optimize", RELU, "--replay", "/nonexistent/rec", "--no-store"],
    "optimize --seeds -3": ["optimize", RELU, "--replay", REPLAY, "--seeds", "-3", "--no-store"],
    "optimize-suite --samples 0": ["optimize-suite", RELU.parent, "--replay", REPLAY, "--samples", "0"],
    "init-task --entry missing": ["init-task", GOOD, "--entry", "NoSuchThing"],
    "init-task (no --entry)": ["init-task", GOOD],
    "kb list --limit 0": ["kb", "list", "--limit", "0"],
    "kb list --limit x": ["kb", "list", "--limit", "x"],
    "kb search -k 0": ["kb", "search", "relu", "-k", "0"],
    "kb search (nothing)": ["kb", "search"],
    "kb search 50 KB": ["kb", "search", "x" * 50_000],
    "kb show unknown": ["kb", "show", "ffffffff"],
    "kb show empty id": ["kb", "show", ""],
    "export --format xml": ["export", "--out", "x.jsonl", "--format", "xml"],
    "export (no --out)": ["export"],
    "key trust garbage": ["key", "trust", "not-a-key"],
    "key trust empty": ["key", "trust", ""],
    "report (nothing)": ["report"],
    "mcp --no-such-flag": ["mcp", "--no-such-flag"],
    "repro --case bogus": ["repro", RELU, GOOD, "--case", "bogus"],
    "repro (no --case)": ["repro", RELU, GOOD],
    "skills install (no target)": ["skills", "install"],
    "no such command": ["no-such-command"],
}


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_out_of_range_or_malformed_option_is_one_line_exit_2(name: str, tmp_path: Path) -> None:
    os.chdir(tmp_path)  # export --out x.jsonl and friends write nothing outside the test
    assert_one_line(invoke(*OPTIONS[name]))


def test_kb_search_50kb_over_a_store_with_records(tmp_path: Path) -> None:
    """The LIKE pattern limit of SQLite used to surface as a traceback once the store had rows."""
    from test_store_support import KERNEL_SOURCE, PROBLEM_SOURCE, make_verdict

    from kernelwright.store import Store

    url = f"sqlite:///{tmp_path / 'kw.db'}"
    with Store.open(url) as store:
        store.record_verdict(make_verdict(), problem_source=PROBLEM_SOURCE, candidate_source=KERNEL_SOURCE)
    assert "at most" in assert_one_line(invoke("kb", "search", "é" * 50_000, "--db", url))
    res = invoke("kb", "search", "softmax", "--db", url, "--json")
    assert res.exit_code == 0 and len(json.loads(res.stdout)) == 1


HOME_COMMANDS = [
    ["verify", RELU, GOOD],
    ["kb", "list"],
    ["kb", "flush-spool"],
    ["export", "--out", "x.jsonl"],
    ["key", "show"],
    ["key", "rotate"],
    ["key", "trust", "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik="],  # a valid ed25519 public key
    ["suite", "run", RELU.parent, "--candidates", ROOT / "examples"],
]


@pytest.mark.parametrize("args", HOME_COMMANDS, ids=lambda a: " ".join(map(str, a[:2])))
def test_kernelwright_home_pointing_at_a_file(args: list[Any], tmp_path: Path) -> None:
    home = tmp_path / "home-is-a-file"
    home.write_text("not a directory\n")
    os.chdir(tmp_path)
    line = assert_one_line(invoke(*args, env={"KERNELWRIGHT_HOME": str(home)}))
    assert "KERNELWRIGHT_HOME" in line and "not a directory" in line


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KERNELWRIGHT_MAX_WORKER_MB", "lots"),
        ("KERNELWRIGHT_MAX_WORKER_MB", "inf"),
        ("KERNELWRIGHT_DB_BUSY_TIMEOUT_MS", "soon"),
        ("KERNELWRIGHT_DB", "not a url"),
    ],
)
def test_bad_setting_in_the_environment_is_one_line(name: str, value: str) -> None:
    line = assert_one_line(
        invoke("suite", "run", RELU.parent, "--candidates", ROOT / "examples", env={name: value})
    )
    assert name in line or "store" in line


def test_verify_db_url_errors_hide_the_password_and_stay_one_line() -> None:
    for url in (
        "postgresql+nosuchdriver://kw:pw-hunter2-secret@localhost/kw",  # driver missing
        "postgresql://kw:pw-hunter2-secret@localhost:notaport/kw",  # does not parse
    ):
        for args in (["verify", RELU, GOOD, "--db", url], ["kb", "list", "--db", url]):
            line = assert_one_line(invoke(*args))
            assert "pw-hunter2-secret" not in line, line


@pytest.mark.parametrize("kind", ("malformed", "empty"))
def test_bad_candidate_is_a_rejected_verdict_with_a_reason(
    kind: str, bad: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one place this file judges for real: a malformed candidate is stopped by the static guard
    (no worker starts); an empty one needs the candidate worker to find no ModelNew."""
    import kernelwright.judge
    from kernelwright.judge import pipeline

    monkeypatch.setattr(kernelwright.judge, "judge", pipeline.judge)
    res = invoke("verify", RELU, bad[kind], "--no-store", "--json", "--seeds", "1", "--fuzz", "1")
    assert res.exit_code == 1, (res.stderr, res.stdout)
    assert "Traceback" not in res.stderr + res.stdout
    body = json.loads(res.stdout)
    assert body["verdict"] == "rejected" and body["category"] and body["reasons"][0]["message"]
