"""The issue's acceptance, through the CLI: list, export, verdict check (and its failures), show, search."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from test_store_support import (  # noqa: F401 - db_url is a fixture
    BAD_KERNEL_SOURCE,
    KERNEL_SOURCE,
    PROBLEM_SOURCE,
    db_url,
    make_verdict,
)
from typer.testing import CliRunner

from kernelwright.cli.store import mount
from kernelwright.store import Store

app = typer.Typer()
mount(app)  # exactly how the main CLI attaches kb / verdict / export
runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def two_records(db_url: str):  # noqa: F811
    """A fresh DB with one accepted and one rejected record, as the acceptance criteria ask."""
    store = Store.open(db_url)
    good = store.record_verdict(make_verdict(), problem_source=PROBLEM_SOURCE, candidate_source=KERNEL_SOURCE)
    bad = store.record_verdict(
        make_verdict(BAD_KERNEL_SOURCE, verdict="rejected"),
        problem_source=PROBLEM_SOURCE,
        candidate_source=BAD_KERNEL_SOURCE,
    )
    store.close()
    return db_url, good, bad


def test_acceptance_list_export_check_and_tamper(two_records, tmp_path: Path) -> None:
    url, good, bad = two_records
    r = cli("kb", "list", "--json", "--db", url)
    assert r.exit_code == 0, r.output
    items = json.loads(r.stdout)
    assert len(items) == 2
    for item in items:
        assert {
            "record_id",
            "problem",
            "verdict",
            "candidate_sha256",
            "category",
            "speedup_vs_eager",
            "speedup_vs_compiled",
            "created_at",
        } <= set(item)
    assert {i["record_id"]: i["verdict"] for i in items} == {
        good.record_id: "accepted",
        bad.record_id: "rejected",
    }

    out = tmp_path / "export.jsonl"
    r = cli("export", "--format", "jsonl", "--out", str(out), "--db", url)
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 1 and rows[0]["record_id"] == good.record_id
    assert (
        rows[0]["signature"] == good.signature
        and json.loads(rows[0]["verdict"])["signature"] == good.signature
    )

    r = cli("verdict", "check", str(out))
    assert r.exit_code == 0, r.output + r.stderr
    assert "ok: 1 record" in r.stdout

    def tampered(name: str, edit) -> Path:
        row = json.loads(out.read_text())
        edit(row)
        path = tmp_path / f"{name}.jsonl"
        path.write_text(json.dumps(row) + "\n")
        return path

    def in_verdict(edit):
        def apply(row):
            rec = json.loads(row["verdict"])
            edit(rec)
            row["verdict"] = json.dumps(rec)

        return apply

    cases = {
        "verdict": in_verdict(lambda v: v.__setitem__("verdict", "rejected")),
        "timing": in_verdict(lambda v: v["timing"].__setitem__("speedup_vs_eager", 20.0)),
        "candidate_sha": in_verdict(lambda v: v.__setitem__("candidate_sha256", "f" * 64)),
        "environment": in_verdict(lambda v: v["environment"].__setitem__("device", "NVIDIA B200")),
        "kernel_source": lambda row: row.__setitem__("kernel_source", row["kernel_source"] + "\n# x\n"),
        "speedup_column": lambda row: row.__setitem__("speedup", 99.0),
        "signature": lambda row: row.__setitem__(
            "verdict", row["verdict"].replace(good.signature[:8], "AAAAAAAA")
        ),
    }
    for name, edit in cases.items():
        r = cli("verdict", "check", str(tampered(name, edit)))
        assert r.exit_code == 1, name
        assert good.record_id in r.stderr, name


def test_check_a_single_verdict_file(two_records, tmp_path: Path) -> None:
    url, good, _ = two_records
    r = cli("kb", "show", good.record_id, "--json", "--db", url)
    assert r.exit_code == 0
    shown = json.loads(r.stdout)
    single = tmp_path / "verdict.json"
    single.write_text(json.dumps(shown["verdict_json"], indent=2))
    assert cli("verdict", "check", str(single)).exit_code == 0
    both = tmp_path / "shown.json"
    both.write_text(r.stdout)
    assert cli("verdict", "check", str(both)).exit_code == 0  # `kb show --json` output: sources checked too
    both.write_text(json.dumps({**shown, "candidate_source": BAD_KERNEL_SOURCE}))
    assert cli("verdict", "check", str(both)).exit_code == 1

    doc = dict(shown["verdict_json"])
    doc["correctness"]["max_abs_err"] = 0.0
    single.write_text(json.dumps(doc))
    r = cli("verdict", "check", str(single))
    assert r.exit_code == 1 and good.record_id in r.stderr

    unsigned = make_verdict().to_json_dict()  # what `verify --json` prints before it is stored
    single.write_text(json.dumps(unsigned))
    r = cli("verdict", "check", str(single))
    assert r.exit_code == 1 and "unsigned" in r.stderr


def test_check_names_only_the_bad_records(two_records, tmp_path: Path) -> None:
    url, good, bad = two_records
    out = tmp_path / "all.jsonl"
    assert cli("export", "--out", str(out), "--include-rejected", "--db", url).exit_code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    for row in rows:
        if row["record_id"] == bad.record_id:
            row["category"] = None  # launder the rejection
    arr = tmp_path / "all.json"
    arr.write_text(json.dumps(rows))
    r = cli("verdict", "check", str(arr))
    assert r.exit_code == 1 and bad.record_id in r.stderr and good.record_id not in r.stderr
    assert "1 of 2" in r.stdout


def test_check_trusted_keys(two_records, tmp_path: Path) -> None:
    url, good, _ = two_records
    out = tmp_path / "e.jsonl"
    assert cli("export", "--out", str(out), "--db", url).exit_code == 0
    assert cli("verdict", "check", str(out)).exit_code == 0  # this machine's own key is trusted
    assert cli("verdict", "check", str(out), "--trusted-key", good.public_key).exit_code == 0


def test_check_refuses_a_verdict_resigned_with_a_foreign_key(two_records, tmp_path: Path) -> None:
    """Issue 17 #3: flip a rejection to accepted and re-sign it with a fresh key; it must not pass."""
    from kernelwright.store.signing import Signer, load_private_key

    url, _, bad = two_records
    out = tmp_path / "all.jsonl"
    assert cli("export", "--out", str(out), "--include-rejected", "--db", url).exit_code == 0
    row = next(json.loads(x) for x in out.read_text().splitlines() if bad.record_id in x)
    forged = dict(row.get("verdict_json", bad.verdict))
    forged.update(verdict="accepted", category=None, reasons=[])
    attacker = Signer(load_private_key(tmp_path / "attacker-home"))
    signed = attacker.sign({k: v for k, v in forged.items() if k not in ("signature", "public_key")})
    (tmp_path / "forged.json").write_text(json.dumps(signed))
    r = cli("verdict", "check", str(tmp_path / "forged.json"))
    assert r.exit_code == 1 and "untrusted key" in r.stderr
    # --any-key proves only that the file is intact, and says so by being asked for explicitly
    assert cli("verdict", "check", str(tmp_path / "forged.json"), "--any-key").exit_code == 0
    assert (
        cli("verdict", "check", str(tmp_path / "forged.json"), "--trusted-key", attacker.public_key).exit_code
        == 0
    )


def test_check_bad_input_exits_2(tmp_path: Path) -> None:
    r = cli("verdict", "check", str(tmp_path / "missing.json"))
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "missing.json" in r.stderr
    junk = tmp_path / "junk.jsonl"
    junk.write_text("{not json\n")
    r = cli("verdict", "check", str(junk))
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    (tmp_path / "list.json").write_text("[1, 2]")
    assert cli("verdict", "check", str(tmp_path / "list.json")).exit_code == 2
    (tmp_path / "bad.parquet").write_text("nope")
    assert cli("verdict", "check", str(tmp_path / "bad.parquet")).exit_code == 2


def test_export_parquet_and_filters(two_records, tmp_path: Path) -> None:
    url, good, bad = two_records
    pq = tmp_path / "e.parquet"
    r = cli("export", "--format", "parquet", "--out", str(pq), "--include-rejected", "--db", url)
    assert r.exit_code == 0 and "2 row(s)" in r.stdout
    assert cli("verdict", "check", str(pq)).exit_code == 0
    r = cli("export", "--out", str(tmp_path / "fast.jsonl"), "--min-speedup", "1.4", "--db", url)
    assert r.exit_code == 0 and "1 row(s)" in r.stdout
    r = cli("export", "--out", str(tmp_path / "none.jsonl"), "--min-speedup", "1.6", "--db", url)
    assert r.exit_code == 0 and (tmp_path / "none.jsonl").read_text() == ""
    assert cli("export", "--out", str(tmp_path / "x"), "--format", "csv", "--db", url).exit_code == 2


def test_show_list_and_search(two_records) -> None:
    url, good, bad = two_records
    r = cli("kb", "show", good.record_id[:10], "--db", url)
    assert r.exit_code == 0
    assert f'"record_id": "{good.record_id}"' in r.stdout and "def softmax_kernel" in r.stdout
    r = cli("kb", "show", "zzzz", "--db", url)
    assert r.exit_code == 2 and "no record" in r.stderr

    r = cli("kb", "list", "--db", url)
    assert r.exit_code == 0 and "problems/softmax.py" in r.stdout and "rejected" in r.stdout
    r = cli("kb", "list", "--json", "--accepted", "--db", url)
    assert [x["record_id"] for x in json.loads(r.stdout)] == [good.record_id]
    r = cli("kb", "list", "--json", "--problem", "nothing-like-this", "--db", url)
    assert json.loads(r.stdout) == []

    r = cli("kb", "search", "zeros_like", "--json", "--db", url)
    assert [x["record_id"] for x in json.loads(r.stdout)] == [bad.record_id]
    r = cli("kb", "search", "output differs", "--db", url)
    assert r.exit_code == 0 and bad.record_id[:12] in r.stdout
    assert cli("kb", "search", "--db", url).exit_code == 2  # neither TEXT nor --like


def test_search_like_problem(two_records, tmp_path: Path) -> None:
    url, good, _ = two_records
    problem = tmp_path / "my_softmax.py"
    problem.write_text(PROBLEM_SOURCE.replace("dim=self.dim", "dim=-1"))
    r = cli("kb", "search", "--like", str(problem), "--json", "--db", url)
    assert r.exit_code == 0, r.stderr
    hits = json.loads(r.stdout)
    assert [h["record_id"] for h in hits] == [good.record_id]  # only accepted records are knowledge
    assert hits[0]["op_family"] == "softmax" and hits[0]["kernel_source"] == KERNEL_SOURCE
    r = cli("kb", "search", "--like", str(problem), "--db", url)
    assert r.exit_code == 0 and "softmax" in r.stdout
    assert cli("kb", "search", "--like", str(tmp_path / "nope.py"), "--db", url).exit_code == 2


def test_db_option_overrides_env_and_bad_db_exits_2(
    two_records, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url, _, _ = two_records
    monkeypatch.setenv("KERNELWRIGHT_DB", f"sqlite:///{tmp_path / 'empty.db'}")
    assert json.loads(cli("kb", "list", "--json").stdout) == []
    assert len(json.loads(cli("kb", "list", "--json", "--db", url).stdout)) == 2
    r = cli("kb", "list", "--db", "nosuchdialect://x")
    assert r.exit_code == 2 and r.stderr.startswith("kernelwright: cannot open the database")
