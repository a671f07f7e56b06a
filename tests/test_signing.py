from __future__ import annotations

import base64
import copy
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kernelwright import settings
from kernelwright.store import signing
from kernelwright.store.signing import Signer, canonical_json, json_safe, load_private_key, verify_record

SRC = str(Path(__file__).resolve().parent.parent / "src")


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KERNELWRIGHT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def record() -> dict:
    return {
        "schema": "kernelwright.verdict/1",
        "record_id": "r1",
        "verdict": "accepted",
        "candidate_sha256": "ab",
        "timing": {"speedup_vs_eager": 2.5, "samples": 100},
        "reasons": [{"code": "KW-X", "message": "ü"}],
    }


def test_key_created_once_with_mode_0600(home: Path) -> None:
    k1 = load_private_key()
    path = home / signing.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    k2 = load_private_key()
    assert signing.public_key_b64(k1.public_key()) == signing.public_key_b64(k2.public_key())
    assert (home / signing.PUBLIC_KEY_FILE).read_text().strip() == signing.public_key_b64(k1.public_key())
    assert settings.config_dir() == home == settings.data_dir()


def test_parallel_first_use_agrees_on_one_key(home: Path) -> None:
    """Workers starting together must not each create (and sign with) a different key."""
    code = "from kernelwright.store.signing import Signer; print(Signer().public_key)"
    env = {"PYTHONPATH": SRC, "KERNELWRIGHT_HOME": str(home), "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(6)
    ]
    keys = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(keys) == 1 and "" not in keys


def test_sign_and_verify_round_trip() -> None:
    signed = Signer().sign(record())
    assert set(signed) == set(record()) | {"signature", "public_key"}
    assert len(base64.b64decode(signed["signature"])) == 64
    assert len(base64.b64decode(signed["public_key"])) == 32
    assert verify_record(signed)
    # survives a JSON round trip in any key order / formatting
    assert verify_record(json.loads(json.dumps(signed, indent=3)))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: r.__setitem__("verdict", "rejected"),
        lambda r: r["timing"].__setitem__("speedup_vs_eager", 2.6),
        lambda r: r.__setitem__("candidate_sha256", "cd"),
        lambda r: r.__setitem__("record_id", "r2"),
        lambda r: r.__setitem__("extra", 1),
        lambda r: r.pop("reasons"),
        lambda r: r["reasons"][0].__setitem__("message", "u"),
    ],
)
def test_any_change_breaks_the_signature(mutate) -> None:
    signed = Signer().sign(record())
    bad = copy.deepcopy(signed)
    mutate(bad)
    assert not verify_record(bad)


def test_key_swap_and_garbage_fail_without_raising(tmp_path: Path) -> None:
    signed = Signer().sign(record())
    other = Signer(load_private_key(tmp_path / "other"))
    assert not verify_record({**signed, "public_key": other.public_key})
    for junk in (
        {},
        {**signed, "signature": "!!"},
        {**signed, "public_key": "AAAA"},
        {**signed, "signature": None},
        {k: v for k, v in signed.items() if k != "record_id"},
        {**signed, "x": float("nan")},
    ):
        assert verify_record(junk) is False


def test_trusted_keys_pin_the_signer(tmp_path: Path) -> None:
    mine = Signer()
    signed = mine.sign(record())
    assert verify_record(signed, trusted_keys={mine.public_key})
    assert not verify_record(signed, trusted_keys={Signer(load_private_key(tmp_path / "o")).public_key})


def test_canonical_encoding_is_exact() -> None:
    assert canonical_json({"b": 1, "a": [1.5, "é"], "c": None}) == '{"a":[1.5,"é"],"b":1,"c":null}'.encode()
    with pytest.raises(ValueError):
        canonical_json({"x": float("inf")})
    assert json_safe({"a": float("nan"), "b": (float("inf"), -float("inf"))}) == {
        "a": "NaN",
        "b": ["Infinity", "-Infinity"],
    }


def test_record_without_id_is_not_signed() -> None:
    with pytest.raises(ValueError):
        Signer().sign({"verdict": "accepted"})
