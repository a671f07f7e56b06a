"""The adversarial corpus (tests/adversarial/): every cheat rejected for the right reason, every legit kernel accepted.

Each corpus file carries its expectation in a header line (see tests/adversarial/corpus.py). Files
marked device=cuda need an NVIDIA GPU (pytest marker `cuda`); on the CPU the judge runs the Triton
interpreter and checks correctness only. A header with `xfail-reason=` documents a known judge bug:
the expectation is what SHOULD happen and the test is a strict xfail until the judge is fixed.

Run: pytest -n 2 tests/test_adversarial.py
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("kw_adversarial_corpus", HERE / "adversarial" / "corpus.py")
assert _spec is not None and _spec.loader is not None
corpus = sys.modules.setdefault("kw_adversarial_corpus", importlib.util.module_from_spec(_spec))
if not hasattr(corpus, "expectations"):
    _spec.loader.exec_module(corpus)

EXPECTATIONS = corpus.expectations()
# Low enough that the host-memory cheat is killed long before the machine runs short, high enough for
# torch + Triton + the interpreter (~1 GiB).
WORKER_MB = "4000"


def _params() -> list:
    out = []
    for e in EXPECTATIONS:
        marks = []
        if e.device == "cuda":
            marks.append(pytest.mark.cuda)
        if e.xfail_reason:
            marks.append(pytest.mark.xfail(reason=e.xfail_reason, strict=True))
        out.append(pytest.param(e, id=e.name.removesuffix(".py"), marks=marks))
    return out


@pytest.fixture
def judge_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KERNELWRIGHT_HOME", str(tmp_path / "kwhome"))
    monkeypatch.setenv("KERNELWRIGHT_MAX_WORKER_MB", WORKER_MB)


def _judge(e, **overrides):  # noqa: ANN001, ANN202 - corpus types live in the loaded module
    from kernelwright.judge import judge

    return judge(e.problem_path(), e.path, corpus.corpus_config(e, **overrides))


def _summary(v) -> str:  # noqa: ANN001
    return "; ".join(f"{r.code} [{r.severity}] {r.message[:200]}" for r in v.reasons) or "no reasons"


# -- the corpus itself -------------------------------------------------------------------------------
def test_corpus_is_complete() -> None:
    cheats = [e for e in EXPECTATIONS if not e.legit]
    legit = [e for e in EXPECTATIONS if e.legit]
    assert len(cheats) >= 30, f"only {len(cheats)} cheating candidates"
    assert len(legit) >= 12, f"only {len(legit)} legitimate candidates"
    covered = Counter(t for e in cheats for t in e.threats)
    missing = [row for row in range(1, 21) if covered[row] == 0]
    assert not missing, f"THREATS.md rows without a cheating candidate: {missing}"
    for e in legit:
        assert (e.verdict, e.category, e.layer) == ("accepted", "none", "none"), e.name
    for e in cheats:
        assert e.verdict == "rejected" and e.category != "none" and e.layer in ("guard", "runtime"), e.name
        assert e.path.read_text().lstrip().startswith('"""'), f"{e.name}: must start with a docstring"
    assert all(e.problem_path().is_file() for e in EXPECTATIONS)


@pytest.mark.parametrize("e", [pytest.param(e, id=e.name.removesuffix(".py")) for e in EXPECTATIONS])
def test_static_guard_layer_is_as_declared(e) -> None:  # noqa: ANN001
    """layer=guard files must be rejected by a hard guard finding; layer=runtime and legit files must not.

    This keeps the runtime variants honest: if the guard learns to catch one, add a new evasion, so
    the corpus always holds cheats that only the runtime defences see.
    """
    from kernelwright.guard import scan

    hard = sorted({f.code for f in scan(e.path.read_text(encoding="utf-8"), "candidate.py") if f.hard})
    if e.layer == "guard":
        assert hard, f"{e.name}: declared layer=guard but the static guard has no hard finding"
    else:
        assert not hard, f"{e.name}: declared layer={e.layer} but the static guard rejects it: {hard}"


# -- the judge on every corpus file ------------------------------------------------------------------
@pytest.mark.parametrize("e", _params())
def test_corpus_verdict(e, judge_env: None) -> None:  # noqa: ANN001
    if e.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            pytest.skip("needs an NVIDIA GPU")
    side_effect = Path(e.extra["side-effect"]) if "side-effect" in e.extra else None
    if side_effect is not None and side_effect.exists():
        side_effect.unlink()
    v = _judge(e)
    got = (v.verdict, v.category)
    if e.legit:
        assert v.verdict == "accepted", f"LEGIT KERNEL REJECTED: {e.name}: {got}: {_summary(v)}"
    assert e.allows(*got), f"{e.name}: expected {e.verdict}/{e.category}, got {got}: {_summary(v)}"
    if side_effect is not None:
        assert not side_effect.exists(), f"{e.name}: the sandbox let it create {side_effect}"


# -- the runtime alone, static guard off -------------------------------------------------------------
RUNTIME_ONLY = {
    # file: (reason code the runtime must report, path the cheat must not have created)
    "cheat_env_openai_key.py": ("KW-R107", None),
    "cheat_write_tmp.py": ("KW-R101", "/tmp/kernelwright_adversarial_pwned.txt"),
    "cheat_socket.py": ("KW-R103", None),
    "cheat_subprocess_sh.py": ("KW-R102", "/tmp/kernelwright_adversarial_sh_pwned"),
}


@pytest.mark.parametrize("name", sorted(RUNTIME_ONLY))
def test_runtime_catches_sandbox_cheats_without_the_static_guard(name: str, judge_env: None) -> None:
    """The clumsy sandbox cheats, judged with static_guard=False: the sandboxed run alone rejects them."""
    e = corpus.parse(HERE / "adversarial" / name)
    code, side_effect = RUNTIME_ONLY[name]
    if side_effect and os.path.exists(side_effect):
        os.unlink(side_effect)
    v = _judge(e, static_guard=False)
    codes = {r.code for r in v.reasons}
    assert not any(c.startswith("KW-S") for c in codes), codes
    assert (v.verdict, v.category) == ("rejected", "sandbox"), _summary(v)
    assert code in codes, f"expected {code}: {_summary(v)}"
    if side_effect:
        assert not os.path.exists(side_effect), (
            f"{side_effect} was created: the sandbox let the write through"
        )
