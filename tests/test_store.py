"""Store behaviour on SQLite and on a real PostgreSQL server (see test_store_support.db_url)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from test_store_support import (  # noqa: F401 - db_url is a fixture
    BAD_KERNEL_SOURCE,
    KERNEL_SOURCE,
    PROBLEM_SOURCE,
    db_url,
    env,
    make_verdict,
)

from kernelwright.store import Store, StoreError, default_url
from kernelwright.store import models as m
from kernelwright.store.signing import verify_record
from kernelwright.verdict import Verdict


@pytest.fixture
def store(db_url: str):  # noqa: F811
    s = Store.open(db_url)
    yield s
    s.close()


def count(store: Store, model: type) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_schema_created_with_version_row(store: Store, db_url: str) -> None:  # noqa: F811
    assert store.schema_version() == m.SCHEMA_VERSION
    again = Store.open(db_url)  # opening an existing database is a no-op
    assert again.schema_version() == m.SCHEMA_VERSION
    again.close()


def test_newer_schema_is_refused(store: Store, db_url: str) -> None:  # noqa: F811
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE kw_meta SET value = '999' WHERE key = 'schema_version'"))
    with pytest.raises(StoreError, match="newer"):
        Store.open(db_url)


def test_record_verdict_signs_and_stores(store: Store) -> None:
    rec = store.record_verdict(make_verdict(), problem_source=PROBLEM_SOURCE, candidate_source=KERNEL_SOURCE)
    assert rec.record_id and rec.signature and rec.public_key
    assert rec.verdict["record_id"] == rec.record_id and rec.verdict["signature"] == rec.signature
    assert verify_record(rec.verdict)

    got = store.get_record(rec.record_id)
    assert got is not None
    assert got["verdict_json"] == rec.verdict and verify_record(got["verdict_json"])
    assert got["candidate_source"] == KERNEL_SOURCE and got["problem_source"] == PROBLEM_SOURCE
    assert got["verdict"] == "accepted" and got["category"] is None
    assert got["language"] == "triton" and got["origin"] == "file"
    assert got["speedup_vs_eager"] == 2.0 and got["speedup_vs_compiled"] == 1.5 and got["speedup"] == 1.5
    assert got["device"] == "NVIDIA H100 80GB HBM3"
    assert got["created_at"].endswith("+00:00")
    assert store.get_record("nope") is None


def test_contract_fields_survive_unchanged(store: Store) -> None:
    v = make_verdict()
    rec = store.record_verdict(v, problem_source=PROBLEM_SOURCE, candidate_source=KERNEL_SOURCE)
    stored = store.get_record(rec.record_id)["verdict_json"]
    for key, value in v.to_json_dict().items():
        assert stored[key] == value
    assert stored["problem_sha256"] and stored["provenance"]["origin"] == "file"


def test_list_records_filters_and_orders(store: Store) -> None:
    a = store.record_verdict(make_verdict(), problem_source=PROBLEM_SOURCE, candidate_source=KERNEL_SOURCE)
    b = store.record_verdict(
        make_verdict(BAD_KERNEL_SOURCE, verdict="rejected"),
        problem_source=PROBLEM_SOURCE,
        candidate_source=BAD_KERNEL_SOURCE,
    )
    c = store.record_verdict(
        make_verdict(problem="other/matmul.py"), problem_source="x = 1\n", candidate_source=KERNEL_SOURCE
    )
    ids = [r["record_id"] for r in store.list_records()]
    assert ids == [c.record_id, b.record_id, a.record_id]  # newest first
    assert [r["record_id"] for r in store.list_records(accepted_only=True)] == [c.record_id, a.record_id]
    for name in ("problems/softmax.py", "softmax.py", "softmax"):
        assert {r["record_id"] for r in store.list_records(problem=name)} == {a.record_id, b.record_id}
    assert store.list_records(problem="soft") == []
    assert len(store.list_records(limit=1)) == 1
    row = store.list_records(problem="matmul")[0]
    assert {
        "record_id",
        "problem",
        "verdict",
        "candidate_sha256",
        "category",
        "speedup_vs_eager",
        "speedup_vs_compiled",
        "created_at",
    } <= set(row)


def test_deduplicates_problems_candidates_environments(store: Store) -> None:
    for _ in range(3):
        store.record_verdict(make_verdict(), problem_source=PROBLEM_SOURCE, candidate_source=KERNEL_SOURCE)
    store.record_verdict(
        make_verdict(environment=env("cpu")), problem_source=PROBLEM_SOURCE, candidate_source=KERNEL_SOURCE
    )
    assert (
        count(store, m.VerdictRow),
        count(store, m.Problem),
        count(store, m.Candidate),
        count(store, m.Environment),
    ) == (4, 1, 1, 2)


def test_candidate_hash_must_match(store: Store) -> None:
    with pytest.raises(StoreError, match="candidate_sha256"):
        store.record_verdict(
            make_verdict(), problem_source=PROBLEM_SOURCE, candidate_source=KERNEL_SOURCE + " "
        )
    assert count(store, m.VerdictRow) == 0


def test_verdict_as_dict_and_non_finite_numbers(store: Store) -> None:
    d = make_verdict(verdict="rejected").to_json_dict()
    d["correctness"]["max_abs_err"] = float("nan")
    d["correctness"]["max_rel_err"] = float("inf")
    d["judge_extra"] = {"kept": True}  # "further fields may be added": they are kept and signed
    rec = store.record_verdict(d, problem_source=PROBLEM_SOURCE, candidate_source=KERNEL_SOURCE)
    stored = store.get_record(rec.record_id)["verdict_json"]
    assert (
        stored["correctness"]["max_abs_err"] == "NaN" and stored["correctness"]["max_rel_err"] == "Infinity"
    )
    assert stored["judge_extra"] == {"kept": True}
    assert verify_record(stored)
    again = Verdict.model_validate(stored)  # what `suite run --resume` does with finished items
    assert math.isnan(again.correctness.max_abs_err) and again.correctness.max_rel_err == math.inf
    with pytest.raises(ValueError):
        store.record_verdict({"verdict": "accepted"}, problem_source="", candidate_source="")


def test_origin_agent_with_parent(store: Store) -> None:
    parent = store.record_verdict(
        make_verdict(BAD_KERNEL_SOURCE, verdict="rejected"),
        problem_source=PROBLEM_SOURCE,
        candidate_source=BAD_KERNEL_SOURCE,
    )
    run = store.start_run("optimize", {"model": "m"})
    child = store.record_verdict(
        make_verdict(),
        problem_source=PROBLEM_SOURCE,
        candidate_source=KERNEL_SOURCE,
        origin={"model": "gpt-x", "parent": parent.record_id, "turn": 3},
        run_id=run,
    )
    prov = child.verdict["provenance"]
    assert prov["origin"] == "agent" and prov["model"] == "gpt-x" and prov["run_id"] == run
    assert prov["parent"] == parent.record_id and prov["turn"] == 3 and prov["language"] == "triton"
    with store.engine.connect() as conn:
        parent_id = conn.execute(
            select(m.Candidate.parent_id).where(m.Candidate.sha256 == child.verdict["candidate_sha256"])
        ).scalar_one()
        assert (
            parent_id
            == conn.execute(
                select(m.Candidate.id).where(m.Candidate.sha256 == parent.verdict["candidate_sha256"])
            ).scalar_one()
        )
    listed = store.list_records(accepted_only=True)[0]
    assert listed["origin"] == "agent" and listed["model"] == "gpt-x" and listed["run_id"] == run
    with pytest.raises(StoreError):
        store.record_verdict(
            make_verdict(),
            problem_source=PROBLEM_SOURCE,
            candidate_source=KERNEL_SOURCE,
            origin={"origin": "magic"},
        )


def test_runs_lifecycle(store: Store) -> None:
    run = store.start_run("suite", {"suite": "level1", "budgets": {"turns": 5}})
    info = store.get_run(run)
    assert info["status"] == "running" and info["budgets"] == {"turns": 5} and info["finished_at"] is None
    store.record_verdict(
        make_verdict(),
        problem_source=PROBLEM_SOURCE,
        candidate_source=KERNEL_SOURCE,
        run_id=run,
        item_key="softmax",
    )
    store.record_verdict(
        make_verdict(BAD_KERNEL_SOURCE, verdict="rejected"),
        problem_source=PROBLEM_SOURCE,
        candidate_source=BAD_KERNEL_SOURCE,
        run_id=run,
        item_key="softmax-bad",
    )
    store.record_verdict(
        make_verdict(), problem_source=PROBLEM_SOURCE, candidate_source=KERNEL_SOURCE, run_id=run
    )  # no item key: not an item of the run
    done = store.finished_items(run)
    assert set(done) == {"softmax", "softmax-bad"}
    assert done["softmax-bad"]["verdict"] == "rejected" and all(verify_record(v) for v in done.values())

    store.update_run_usage(run, tokens=100, cost=0.5)
    store.update_run_usage(run, tokens=150, cost=0.75)
    assert (store.get_run(run)["tokens"], store.get_run(run)["cost"]) == (150, 0.75)
    store.update_run_usage(run, tokens=10, cost=0.25, increment=True)
    assert (store.get_run(run)["tokens"], store.get_run(run)["cost"]) == (160, 1.0)

    store.finish_run(run, {"accepted": 1, "rejected": 1}, status="finished")
    info = store.get_run(run)
    assert info["status"] == "finished" and info["summary"] == {"accepted": 1, "rejected": 1}
    assert info["finished_at"] and info["records"] == 3
    assert set(store.reopen_run(run)) == {"softmax", "softmax-bad"}
    assert store.get_run(run)["status"] == "running"
    assert store.finished_items("no-such-run") == {} and store.get_run("no-such-run") is None


def test_unknown_run_is_an_error(store: Store) -> None:
    with pytest.raises(StoreError, match="unknown run"):
        store.record_verdict(
            make_verdict(), problem_source=PROBLEM_SOURCE, candidate_source=KERNEL_SOURCE, run_id="missing"
        )
    with pytest.raises(StoreError):
        store.finish_run("missing", {})
    assert count(store, m.VerdictRow) == 0


def test_search_text(store: Store) -> None:
    a = store.record_verdict(make_verdict(), problem_source=PROBLEM_SOURCE, candidate_source=KERNEL_SOURCE)
    b = store.record_verdict(
        make_verdict(BAD_KERNEL_SOURCE, verdict="rejected", problem="p/relu_100%.py"),
        problem_source="relu",
        candidate_source=BAD_KERNEL_SOURCE,
    )
    assert [r["record_id"] for r in store.search_text("SOFTMAX_KERNEL")] == [a.record_id]  # kernel source
    assert [r["record_id"] for r in store.search_text("output differs")] == [b.record_id]  # a reason
    assert [r["record_id"] for r in store.search_text("relu_100%")] == [b.record_id]  # problem id, % literal
    assert {r["record_id"] for r in store.search_text("torch")} == {a.record_id, b.record_id}
    assert store.search_text("no such text anywhere") == []
    assert store.resolve_record_id(a.record_id[:8]) == [a.record_id]


def test_lessons(store: Store) -> None:
    i = store.add_lesson("softmax", "avoid", "do not recompute the max per tile", source="run1")
    assert store.add_lesson("softmax", "avoid", "do not recompute the max per tile") == i  # idempotent
    store.add_lesson("softmax", "try", "online softmax in one pass")
    store.add_lesson("norm", "try", "welford")
    with pytest.raises(StoreError):
        store.add_lesson("norm", "maybe", "x")
    got = store.lessons(["softmax"])
    assert [x["text"] for x in got] == ["online softmax in one pass", "do not recompute the max per tile"]
    assert len(store.lessons(["softmax", "norm"], limit=2)) == 2


def test_default_url_follows_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KERNELWRIGHT_DB", raising=False)
    monkeypatch.setenv("KERNELWRIGHT_HOME", str(tmp_path / "h"))
    assert default_url() == f"sqlite:///{tmp_path / 'h' / 'kernelwright.db'}"
    s = Store.open()
    assert (tmp_path / "h" / "kernelwright.db").exists()
    s.close()
    monkeypatch.setenv("KERNELWRIGHT_DB", f"sqlite:///{tmp_path / 'x.db'}")
    assert default_url().endswith("x.db")


def test_sqlite_is_wal_with_busy_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERNELWRIGHT_HOME", str(tmp_path))
    s = Store.open(f"sqlite:///{tmp_path / 'w.db'}")
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    s.close()
