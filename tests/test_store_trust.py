"""Nothing read back is shown as verified without checking its signature (issue 17 #3, #4, #9).

Each test edits the database behind the store's back, as an attacker with write access to the file
would, and asserts that no reader (kb list, kb show, kb search, export, knowledge retrieval) serves
the edited row as verified.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from test_store_cli import cli
from test_store_support import (  # noqa: F401 - db_url is a fixture
    BAD_KERNEL_SOURCE,
    KERNEL_SOURCE,
    PROBLEM_SOURCE,
    db_url,
    make_verdict,
)

from kernelwright.store import Store, signing


@pytest.fixture
def store_with_two(db_url: str):  # noqa: F811
    store = Store.open(db_url)
    good = store.record_verdict(make_verdict(), problem_source=PROBLEM_SOURCE, candidate_source=KERNEL_SOURCE)
    bad = store.record_verdict(
        make_verdict(BAD_KERNEL_SOURCE, verdict="rejected"),
        problem_source=PROBLEM_SOURCE,
        candidate_source=BAD_KERNEL_SOURCE,
    )
    store.close()
    return db_url, good, bad


def _sql(url: str, statement: str, **params: object) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(statement), params)
    engine.dispose()


def test_a_rejection_flipped_in_the_database_is_not_listed_as_accepted(store_with_two) -> None:
    url, good, bad = store_with_two
    _sql(url, "UPDATE kw_verdicts SET verdict='accepted', category=NULL WHERE record_id=:r", r=bad.record_id)
    r = cli("kb", "list", "--accepted", "--json", "--db", url)
    assert r.exit_code == 0
    assert [x["record_id"] for x in json.loads(r.stdout)] == [good.record_id]
    assert "1 record(s) failed" in r.stderr
    r = cli("kb", "list", "--json", "--include-unverified", "--db", url)
    marked = {x["record_id"]: x for x in json.loads(r.stdout)}
    assert (
        marked[bad.record_id]["verified"] is False
        and "verdict" in marked[bad.record_id]["unverified_because"]
    )
    assert marked[good.record_id]["verified"] is True


def test_a_swapped_kernel_source_and_a_fake_speedup_are_caught(store_with_two, tmp_path: Path) -> None:
    url, good, _ = store_with_two
    _sql(
        url,
        "UPDATE kw_candidates SET source=:s WHERE sha256=:h",
        s="# swapped\n",
        h=good.verdict["candidate_sha256"],
    )
    r = cli("kb", "show", good.record_id, "--json", "--db", url)
    assert r.exit_code == 1 and "NOT verified" in r.stderr and "kernel source" in r.stderr
    out = tmp_path / "x.jsonl"
    r = cli("export", "--out", str(out), "--db", url)
    assert r.exit_code == 0 and "exported 0 row(s)" in r.stdout and "1 record(s) failed" in r.stderr


def test_a_fake_speedup_column_is_caught(store_with_two) -> None:
    url, good, _ = store_with_two
    _sql(
        url, "UPDATE kw_verdicts SET speedup=9.99, speedup_vs_eager=9.99 WHERE record_id=:r", r=good.record_id
    )
    with Store.open(url) as store:
        assert store.accepted_for_knowledge() == [] and store.unverified == 1
        found = store.search_text("softmax")
        assert good.record_id not in [x["record_id"] for x in found] and store.unverified == 1


def test_a_row_resigned_with_a_foreign_key_is_not_trusted(store_with_two, tmp_path: Path) -> None:
    url, _, bad = store_with_two
    attacker = signing.Signer(signing.load_private_key(tmp_path / "attacker"))
    forged = {k: v for k, v in bad.verdict.items() if k not in ("signature", "public_key")}
    forged.update(verdict="accepted", category=None, reasons=[])
    signed = attacker.sign(forged)
    _sql(
        url,
        "UPDATE kw_verdicts SET verdict='accepted', category=NULL, verdict_json=:j, signature=:s, public_key=:k "
        "WHERE record_id=:r",
        j=signing.canonical_json(signed).decode(),
        s=signed["signature"],
        k=signed["public_key"],
        r=bad.record_id,
    )
    with Store.open(url) as store:
        rec = store.get_record(bad.record_id)
        assert rec is not None and rec["verified"] is False and "does not trust" in rec["unverified_because"]
        assert [x["record_id"] for x in store.list_records(accepted_only=True)] != [bad.record_id]


def test_rotation_keeps_old_verdicts_verifiable(store_with_two) -> None:
    url, good, _ = store_with_two
    old, new = signing.rotate_key()
    assert old != new and old in signing.trusted_keys() and new in signing.trusted_keys()
    with Store.open(url) as store:
        assert store.get_record(good.record_id)["verified"] is True  # type: ignore[index]
    r = cli("key", "show", "--json")
    info = json.loads(r.stdout)
    assert info["public_key"] == new and old in [k["public_key"] for k in info["keyring"]]


def test_a_lost_key_is_not_regenerated_silently(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = signing.public_key_b64(signing.load_private_key(home).public_key())
    (home / signing.KEY_FILE).unlink()
    second = signing.public_key_b64(signing.load_private_key(home).public_key())
    assert first != second
    assert (home / signing.PUBLIC_KEY_FILE).read_text().strip() == second  # .pub follows the key
    assert first in signing.keyring(home)  # the old verdicts stay verifiable


def test_home_is_0700_and_key_0600_even_when_the_directory_existed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    signing.load_private_key(home)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / signing.KEY_FILE).stat().st_mode) == 0o600


def test_a_corrupt_key_is_one_clear_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    signing.load_private_key(home)
    (home / signing.KEY_FILE).write_bytes(b"-----BEGIN PRIVATE KEY-----\ngarbage\n")
    with pytest.raises(signing.SigningKeyError, match="cannot be read"):
        signing.load_private_key(home)


def test_trust_rejects_garbage_and_accepts_a_real_key(tmp_path: Path) -> None:
    assert cli("key", "trust", "not-a-key").exit_code == 2
    other = signing.public_key_b64(signing.load_private_key(tmp_path / "other").public_key())
    assert cli("key", "trust", other).exit_code == 0
    assert other in signing.trusted_keys()
