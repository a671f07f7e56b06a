"""Harness state the candidate's process can reach (issue #12, THREATS #24): the audit policy and the
launch ledger keep nothing reachable that switches them off or forges their counts.

Each check runs in a child process: audit hooks cannot be removed, and the ledger patches Triton's
classes for good. The corpus files named in each docstring are the same attacks, judged end to end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent


def _run(script: str, tmp_path: Path, **env: str) -> list[str]:
    # From a file outside the private directory: the driver is the "harness", a frame of known origin.
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(script))
    out = subprocess.run(
        [sys.executable, str(driver)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **env},
        cwd=tmp_path,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.split()


# The "candidate" is a module loaded from the policy's private directory, as in the worker.
_POLICY = """
    import importlib.util, os, sys, threading
    from kernelwright.sandbox import policy as P
    from kernelwright.worker.integrity import guard_environment

    private = os.path.realpath("private")
    os.makedirs(private, exist_ok=True)
    reports = []
    helper = os.path.realpath("helper.py")  # a "library" outside the private directory
    with open(helper, "w") as h:
        h.write("import os\\ndef write(p):\\n    open(p, 'w').close()\\ndef read(k):\\n    return os.environ.get(k)\\n")
    sys.path.insert(0, os.path.dirname(helper))
    with open("fresh_lib.py", "w") as h:  # a "library" module with no .pyc, imported later
        h.write("VALUE = 7\\n")
    sys.dont_write_bytecode = True
    guard_environment()
    P.AuditPolicy(private, lambda cat, code, msg: reports.append(code)).install()

    def candidate(src):
        path = os.path.join(private, "cand.py")
        with open(path, "w") as h:
            h.write(src)
        spec = importlib.util.spec_from_file_location("cand", path)
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except PermissionError:
            pass
        return mod

    def case(name, src):
        reports.clear()
        candidate(src)
        print(name + "=" + ",".join(sorted(set(reports))))
"""


def test_policy_cannot_be_reached_patched_or_fooled(tmp_path: Path) -> None:
    """cheat_rt_policy_kill_switch, cheat_rt_policy_class_patch, cheat_rt_relabel_daemon,
    cheat_rt_thread_stdlib_popen, cheat_rt_trusted_writer_pth."""
    script = (
        _POLICY
        + """
    # nothing on os.environ leads to the policy
    env = os.environ
    held = [k for k, v in vars(env).items() if k != "_data" and getattr(v, "__module__", None) != "os"]
    print("env_extra=" + ",".join(held))
    # a secret read is reported through the event, by the candidate only
    case("secret", "import os\\nos.environ.get('OPENAI_API_KEY')\\n")
    reports.clear()
    import helper
    helper.read("OPENAI_API_KEY")  # a library's read is not the candidate's
    print("trusted_secret=" + ",".join(reports))
    # patching the class and the module's tables reaches nothing
    for name in ("_judge", "_candidate_asked", "_asked_from", "_hook", "_open_allowed", "_write_allowed"):
        setattr(P.AuditPolicy, name, lambda *a, **k: None)
    P.WATCHED = frozenset()
    P._realpath = lambda p: private
    case("patched_gc", "import gc\\ngc.get_objects()\\n")
    # code made under another file's name
    case("relabel", "import os\\ndef f():\\n    pass\\nf.__code__.replace(co_filename=os.__file__)\\n")
    # a thread whose stack has no frame of known origin
    case("thread", "import os, threading\\nt = threading.Thread(target=os.listdir, args=('/proc',))\\n"
         "t.start()\\nt.join()\\n")
    # a write decided by path, whoever asks: a helper outside the private directory does the open
    case("trusted_write", "import helper\\nhelper.write('" + os.path.realpath("outside.txt") + "')\\n")
    print("outside_exists=" + str(os.path.exists("outside.txt")))
    # importing a library module that has no .pyc (a clean clone, a read-only view) compiles its own
    # source under its own name from the candidate's import: not a relabelling
    case("uncompiled_import", "import fresh_lib\\nassert fresh_lib.VALUE == 7\\n")
    # one step weaker would let these through: other source under a library's name, and the file's own
    # source compiled under its name and then run from the candidate's frame
    lib = os.path.realpath("fresh_lib.py")
    case("other_source", "compile('VALUE = 8\\\\n', " + repr(lib) + ", 'exec')\\n")
    case("same_source_exec", "src = open(" + repr(lib) + ", 'rb').read()\\n"
         "exec(compile(src, " + repr(lib) + ", 'exec'), {})\\n")
    """
    )
    got = dict(line.split("=", 1) for line in _run(script, tmp_path))
    assert got["env_extra"] == ""  # only os._Environ's own encoders: nothing of the harness's
    assert got["secret"] == "KW-R107"
    assert got["trusted_secret"] == ""
    assert got["patched_gc"] == "KW-R105"
    assert got["relabel"] == "KW-R202"
    assert got["thread"] == "KW-R101"
    assert got["trusted_write"] == "KW-R101"
    assert got["outside_exists"] == "False"
    assert got["uncompiled_import"] == ""
    assert got["other_source"] == "KW-R202"
    assert got["same_source_exec"] == "KW-R202"


_LEDGER = """
    import sys, types, torch, triton, triton.language as tl
    from kernelwright.worker.launches import LaunchLedger
    from triton.runtime.interpreter import InterpretedFunction

    ledger = LaunchLedger()
    ledger.install_triton()

    @triton.jit
    def copy(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
        offs = tl.arange(0, BLOCK)
        tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=offs < n), mask=offs < n)

    x = torch.arange(8.0)
    y = torch.zeros(8)
    run = InterpretedFunction.run
    held = [type(c.cell_contents).__name__ for c in run.__closure__]
    print("closure_holds_ledger=" + str(bool({"LaunchLedger", "SimpleNamespace"} & set(held))))
    copy[(1,)](x, y, 8, BLOCK=8)
    print("genuine=" + str(ledger.counts["copy"]) + "," + str(torch.equal(x, y)))

    class K:
        class fn:
            __name__ = "forged"
    sys.audit("kernelwright.launch", K(), run.__closure__[0].cell_contents)
    print("forged_event=" + str(ledger.counts["forged"]) + "," + str(len(ledger.forged())))

    cell = run.__closure__[0]
    saved = cell.cell_contents
    cell.cell_contents = lambda *a, **k: None
    copy[(1,)](x, y, 8, BLOCK=8)
    cell.cell_contents = saved
    print("cell_swap=" + str(ledger.counts["copy"]) + "," + str(len(ledger.forged())))

    class Fake(InterpretedFunction):  # a kernel class of the candidate's: it could gut what run calls
        pass

    fake = Fake(copy.fn)
    fake[(1,)](x, y, 8, BLOCK=8)
    print("subclass=" + str(ledger.counts["copy"]) + "," + str(len(ledger.forged())))

    ledger.ablate = True
    y.zero_()
    copy[(1,)](x, y, 8, BLOCK=8)
    ledger.ablate = False
    print("ablated=" + str(ledger.skipped) + "," + str(float(y.sum())))
"""


def test_launch_ledger_is_out_of_reach_and_counts_only_genuine_launches(tmp_path: Path) -> None:
    """cheat_rt_ledger_closure, cheat_rt_ledger_forge_event, cheat_rt_ledger_cell_swap."""
    got = dict(line.split("=", 1) for line in _run(_LEDGER, tmp_path, TRITON_INTERPRET="1"))
    assert got["closure_holds_ledger"] == "False"
    assert got["genuine"] == "1,True"
    assert got["forged_event"] == "0,1"
    assert got["cell_swap"] == "1,1"  # not counted; reported
    assert got["subclass"] == "1,1"
    assert got["ablated"] == "1,0.0"


@pytest.fixture
def judge_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KERNELWRIGHT_HOME", str(tmp_path / "kwhome"))
    monkeypatch.setenv("KERNELWRIGHT_MAX_WORKER_MB", "4000")


def test_ledger_closure_cheat_is_seen_as_passthrough_under_the_tampering(judge_env: None) -> None:
    """cheat_rt_ledger_closure is rejected as tampering (the op-trace rebinding is named first); the
    passthrough itself must be seen too: no launch counted, relu in the op trace."""
    from kernelwright.judge import JudgeConfig, judge
    from kernelwright.problem import bundled_dir

    v = judge(
        bundled_dir() / "level1/relu.py",
        HERE / "adversarial" / "cheat_rt_ledger_closure.py",
        JudgeConfig(timeout=300.0, compile_timeout=90.0, call_timeout=60.0),
    )
    codes = {r.code for r in v.reasons}
    assert (v.verdict, v.category) == ("rejected", "tampering"), v.reasons
    assert {"KW-T001", "KW-P000"} <= codes, codes
