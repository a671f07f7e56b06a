"""Training-data export: filtering, dedup, both formats, loading with `datasets`, tamper detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_store_support import (  # noqa: F401 - db_url is a fixture
    BAD_KERNEL_SOURCE,
    KERNEL_SOURCE,
    PROBLEM_SOURCE,
    db_url,
    env,
    make_verdict,
)

from kernelwright.store import Store
from kernelwright.store.export import build_rows, check_row, export, read_items
from kernelwright.store.sources import detect_language, normalize_source, normalized_sha256, sha256_text

COLUMNS = {
    "record_id",
    "problem",
    "problem_sha256",
    "reference_source",
    "kernel_source",
    "kernel_sha256",
    "kernel_norm_sha256",
    "language",
    "verdict",
    "status",
    "category",
    "speedup_vs_eager",
    "speedup_vs_compiled",
    "speedup",
    "environment",
    "signature",
    "public_key",
    "origin",
    "model",
    "run_id",
    "parent",
    "created_at",
}


@pytest.fixture
def store(db_url: str):  # noqa: F811
    s = Store.open(db_url)
    yield s
    s.close()


def add(store: Store, kernel: str = KERNEL_SOURCE, **kw):
    origin = kw.pop("origin", None)
    return store.record_verdict(
        make_verdict(kernel, **kw), problem_source=PROBLEM_SOURCE, candidate_source=kernel, origin=origin
    )


def test_rows_default_to_accepted_with_full_provenance(store: Store) -> None:
    run = store.start_run("optimize", {})
    good = store.record_verdict(
        make_verdict(),
        problem_source=PROBLEM_SOURCE,
        candidate_source=KERNEL_SOURCE,
        origin={"model": "qwen-coder", "run_id": run},
        run_id=run,
    )
    add(store, BAD_KERNEL_SOURCE, verdict="rejected")
    rows = build_rows(store)
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == COLUMNS
    assert row["record_id"] == good.record_id and row["signature"] == good.signature
    assert row["public_key"] == good.public_key and row["status"] == "accepted"
    assert row["reference_source"] == PROBLEM_SOURCE and row["kernel_source"] == KERNEL_SOURCE
    assert row["language"] == "triton" and row["origin"] == "agent" and row["model"] == "qwen-coder"
    assert row["run_id"] == run and row["created_at"] and row["speedup"] == 1.5
    assert row["environment"]["device"] == "NVIDIA H100 80GB HBM3"
    assert json.loads(row["verdict"]) == good.verdict
    assert check_row(row) == []
    assert len(build_rows(store, include_rejected=True)) == 2


def test_min_speedup_uses_the_stronger_baseline(store: Store) -> None:
    add(store, timing=(1.0, 4.0, 1.2))  # 4x vs eager, 1.2x vs compiled -> 1.2
    add(store, KERNEL_SOURCE + "\nX = 1\n", timing=(1.0, 3.0, 3.0))  # 3x
    add(store, KERNEL_SOURCE + "\nY = 2\n", timing=None, environment=env("cpu"))  # CPU: no timing
    assert len(build_rows(store)) == 3
    assert [r["speedup"] for r in build_rows(store, min_speedup=1.1)] == [1.2, 3.0]
    assert [r["speedup"] for r in build_rows(store, min_speedup=2.0)] == [3.0]
    assert build_rows(store, min_speedup=0.0)[-1]["speedup"] == 3.0  # the CPU record is out even at 0


def test_dedup_by_normalised_source_keeps_the_best(store: Store) -> None:
    reformatted = "# a comment\n" + KERNEL_SOURCE.replace(
        "    row = tl.program_id(0)", "    row = tl.program_id(0)   # which row\n\n"
    )
    assert normalized_sha256(reformatted) == normalized_sha256(KERNEL_SOURCE)
    add(store, timing=(1.0, 2.0, 1.5))
    faster = add(store, reformatted, timing=(0.5, 2.0, 1.5))
    add(store, KERNEL_SOURCE + "\nZ = 3\n")  # really different
    rows = build_rows(store)
    assert len(rows) == 2
    assert rows[0]["record_id"] == faster.record_id and rows[0]["speedup"] == 3.0


def test_source_helpers() -> None:
    assert detect_language(KERNEL_SOURCE) == "triton"
    assert detect_language(BAD_KERNEL_SOURCE) == "pytorch"
    assert (
        detect_language("from torch.utils.cpp_extension import load_inline\nsrc = '__global__ void k(){}'")
        == "cuda"
    )
    assert normalize_source("x = 1  # c\n\n\ny = 2\n") == "x = 1\ny = 2"
    assert normalize_source("int a; // c\n\n// full line\nint b;   \n") == "int a; // c\nint b;"


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_export_files_round_trip_and_verify(store: Store, tmp_path: Path, fmt: str) -> None:
    add(store)
    add(store, KERNEL_SOURCE + "\nW = 4\n", timing=None, environment=env("cpu"))
    add(store, BAD_KERNEL_SOURCE, verdict="rejected")
    out = tmp_path / f"train.{fmt}"
    assert export(store, out, fmt, include_rejected=True) == 3
    items = read_items(out)
    assert len(items) == 3 and all(set(i) == COLUMNS for i in items)
    assert all(check_row(i) == [] for i in items)
    assert {i["status"] for i in items} == {"accepted", "rejected"}


@pytest.mark.parametrize("fmt", ["json", "parquet"])
def test_export_loads_with_datasets(
    store: Store, tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")  # local files only; must work without a network
    datasets = pytest.importorskip("datasets")
    add(store)
    add(store, KERNEL_SOURCE + "\nW = 4\n", timing=None, environment=env("cpu"))
    add(store, BAD_KERNEL_SOURCE, verdict="rejected")
    out = tmp_path / ("train.jsonl" if fmt == "json" else "train.parquet")
    export(store, out, "jsonl" if fmt == "json" else "parquet", include_rejected=True)
    ds = datasets.load_dataset(fmt, data_files=str(out), split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == 3 and set(ds.column_names) >= COLUMNS
    assert all(check_row(dict(r)) == [] for r in ds)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("kernel_source", KERNEL_SOURCE + "\n# tweak\n"),
        ("reference_source", PROBLEM_SOURCE.replace("dim=self.dim", "dim=0")),
        ("speedup", 9.0),
        ("speedup_vs_eager", 9.0),
        ("status", "rejected"),
        ("language", "cuda"),
        ("model", "someone-else"),
        ("problem", "other.py"),
        ("record_id", "0" * 32),
        ("kernel_sha256", "0" * 64),
        ("environment", {**env().model_dump(), "device": "NVIDIA B200"}),
    ],
)
def test_every_column_is_bound_to_the_signature(store: Store, column: str, value) -> None:
    add(store)
    row = build_rows(store)[0]
    row[column] = value
    assert check_row(row), column


def test_editing_the_signed_verdict_fails(store: Store) -> None:
    add(store)
    row = build_rows(store)[0]
    for edit in (
        lambda v: v.__setitem__("verdict", "rejected"),
        lambda v: v["timing"].__setitem__("candidate_ms", 0.01),
        lambda v: v.__setitem__("candidate_sha256", "0" * 64),
    ):
        rec = json.loads(row["verdict"])
        edit(rec)
        assert "signature does not verify" in check_row({**row, "verdict": json.dumps(rec)})[0]
    # a consistent forgery (kernel swapped AND its hash updated) still breaks the signature
    rec = json.loads(row["verdict"])
    rec["candidate_sha256"] = sha256_text(BAD_KERNEL_SOURCE)
    assert check_row({**row, "kernel_source": BAD_KERNEL_SOURCE, "verdict": json.dumps(rec)})
