"""Training-data export: verified (reference, kernel, verdict) pairs as JSONL or Parquet, with provenance.

Why every column is re-derivable from the signed record: a row of a fine-tuning set is only worth its
verdict if nobody edited it on the way. :func:`row_from_record` builds a row from the signed record and
the two sources; :func:`check_row` rebuilds it from the row's own ``verdict`` and sources and compares
column by column, so editing *any* column (a speedup, the kernel, the language...) fails the check.

Row columns (both formats):

- ``record_id``, ``problem``, ``problem_sha256``, ``reference_source``
- ``kernel_source``, ``kernel_sha256`` (= the signed ``candidate_sha256``), ``kernel_norm_sha256``
  (hash of the comment/format-normalised kernel, the dedup key), ``language``
- ``verdict``: the full signed record as a canonical JSON *string* (a string, not a nested object, so
  rows with and without timing share one Arrow schema and ``datasets`` never has to unify them)
- ``status`` (accepted/rejected/skipped), ``category``, ``speedup_vs_eager``, ``speedup_vs_compiled``,
  ``speedup`` (vs the stronger baseline), ``environment`` (struct), ``signature``, ``public_key``
- provenance: ``origin`` (file/agent), ``model``, ``run_id``, ``parent``, ``created_at``
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from kernelwright.errors import BadInput
from kernelwright.store import Store, stronger_speedup
from kernelwright.store.core import finite_number
from kernelwright.store.signing import canonical_json, fingerprint, verify_record
from kernelwright.store.sources import normalized_sha256, sha256_text

Format = Literal["jsonl", "parquet"]
ENV_FIELDS = ("device", "interpreter", "torch", "triton", "python", "cuda", "driver", "gpu_count", "sandbox")


class ExportError(BadInput):
    """The export cannot be written or read (bad format, unreadable file)."""


def _environment(env: Any) -> dict[str, Any]:
    env = env if isinstance(env, dict) else {}
    out = {k: env.get(k) for k in ENV_FIELDS}
    out["sandbox"] = [str(x) for x in (env.get("sandbox") or [])]
    out["interpreter"] = bool(env.get("interpreter", False))
    out["gpu_count"] = int(env.get("gpu_count") or 0)
    for key in ("device", "torch", "triton", "python", "cuda", "driver"):
        out[key] = None if out[key] is None else str(out[key])
    return out


def row_from_record(
    record: dict[str, Any], reference_source: str | None, kernel_source: str | None
) -> dict[str, Any]:
    """One export row, every column taken from the signed ``record`` or hashed from the two sources."""
    prov: dict[str, Any] = record["provenance"] if isinstance(record.get("provenance"), dict) else {}
    timing = record.get("timing") if isinstance(record.get("timing"), dict) else None
    return {
        "record_id": record.get("record_id"),
        "problem": record.get("problem"),
        "problem_sha256": record.get("problem_sha256"),
        "reference_source": reference_source,
        "kernel_source": kernel_source,
        "kernel_sha256": record.get("candidate_sha256"),
        "kernel_norm_sha256": normalized_sha256(kernel_source) if kernel_source is not None else None,
        "language": prov.get("language"),
        "verdict": canonical_json(record).decode("utf-8"),
        "status": record.get("verdict"),
        "category": record.get("category"),
        "speedup_vs_eager": finite_number(timing.get("speedup_vs_eager")) if timing else None,
        "speedup_vs_compiled": finite_number(timing.get("speedup_vs_compiled")) if timing else None,
        "speedup": stronger_speedup(timing),
        "environment": _environment(record.get("environment")),
        "signature": record.get("signature"),
        "public_key": record.get("public_key"),
        "origin": prov.get("origin"),
        "model": prov.get("model"),
        "run_id": prov.get("run_id"),
        "parent": None if prov.get("parent") is None else str(prov.get("parent")),
        "created_at": prov.get("recorded_at"),
    }


def iter_rows(
    store: Store, *, include_rejected: bool = False, min_speedup: float | None = None
) -> Iterator[dict[str, Any]]:
    """Rows to export, oldest first, deduplicated by (normalised reference, normalised kernel).

    Of duplicates the accepted one with the best stronger-baseline speedup (then the newest) is kept.
    ``min_speedup`` keeps only rows with timing whose stronger-baseline speedup is at least that.
    Two streaming passes (choose, then emit) so memory holds hashes, not every source in the store.
    """
    best: dict[tuple[str, str], tuple[tuple[bool, float], str]] = {}
    for row in _candidate_rows(store, include_rejected, min_speedup):
        key = (row["problem_norm_sha256"], row["kernel_norm_sha256"])
        rank = (row["status"] == "accepted", row["speedup"] or 0.0)
        if key not in best or rank >= best[key][0]:  # later (newer) wins ties
            best[key] = (rank, row["record_id"])
    chosen = {record_id for _, record_id in best.values()}
    for row in _candidate_rows(store, include_rejected, min_speedup):
        if row["record_id"] in chosen:
            del row["problem_norm_sha256"]
            yield row


def _candidate_rows(
    store: Store, include_rejected: bool, min_speedup: float | None
) -> Iterator[dict[str, Any]]:
    for rec in store.iter_records(include_rejected=include_rejected):
        row = row_from_record(rec["verdict_json"], rec["problem_source"], rec["candidate_source"])
        if min_speedup is not None and (row["speedup"] is None or row["speedup"] < min_speedup):
            continue
        row["problem_norm_sha256"] = normalized_sha256(rec["problem_source"])
        yield row


def build_rows(
    store: Store, *, include_rejected: bool = False, min_speedup: float | None = None
) -> list[dict[str, Any]]:
    """:func:`iter_rows` as a list."""
    return list(iter_rows(store, include_rejected=include_rejected, min_speedup=min_speedup))


def arrow_schema() -> Any:
    import pyarrow as pa

    env = pa.struct(
        [
            ("device", pa.string()),
            ("interpreter", pa.bool_()),
            ("torch", pa.string()),
            ("triton", pa.string()),
            ("python", pa.string()),
            ("cuda", pa.string()),
            ("driver", pa.string()),
            ("gpu_count", pa.int64()),
            ("sandbox", pa.list_(pa.string())),
        ]
    )
    s, f = pa.string(), pa.float64()
    return pa.schema(
        [
            ("record_id", s),
            ("problem", s),
            ("problem_sha256", s),
            ("reference_source", s),
            ("kernel_source", s),
            ("kernel_sha256", s),
            ("kernel_norm_sha256", s),
            ("language", s),
            ("verdict", s),
            ("status", s),
            ("category", s),
            ("speedup_vs_eager", f),
            ("speedup_vs_compiled", f),
            ("speedup", f),
            ("environment", env),
            ("signature", s),
            ("public_key", s),
            ("origin", s),
            ("model", s),
            ("run_id", s),
            ("parent", s),
            ("created_at", s),
        ]
    )


def write_rows(rows: Iterable[dict[str, Any]], out: Path, fmt: Format, batch: int = 500) -> int:
    """Stream ``rows`` to ``out`` (written to a temporary name, renamed when complete); returns the count."""
    if fmt not in ("jsonl", "parquet"):
        raise ExportError(f"unknown export format {fmt!r} (jsonl or parquet)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    n = 0
    try:
        if fmt == "jsonl":
            with tmp.open("w", encoding="utf-8") as fh:
                for row in rows:
                    fh.write(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n")
                    n += 1
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            schema = arrow_schema()
            with pq.ParquetWriter(tmp, schema) as writer:
                chunk: list[dict[str, Any]] = []
                for row in rows:
                    chunk.append(row)
                    n += 1
                    if len(chunk) >= batch:
                        writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                        chunk = []
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return n


def export(
    store: Store,
    out: str | Path,
    fmt: Format = "jsonl",
    *,
    include_rejected: bool = False,
    min_speedup: float | None = None,
) -> int:
    """Write the export file; returns the number of rows."""
    rows = iter_rows(store, include_rejected=include_rejected, min_speedup=min_speedup)
    return write_rows(rows, Path(out), fmt)


# ------------------------------------------------------------------------------------------ checking
def read_items(path: str | Path) -> list[dict[str, Any]]:
    """Objects in a verdict JSON file, a JSON array, a JSONL file or a Parquet export."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return pq.read_table(path).to_pylist()
        except Exception as exc:  # noqa: BLE001 - any pyarrow failure is unreadable input
            raise ExportError(f"{path}: not a readable Parquet file ({exc})") from exc
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"{path}: cannot read ({exc})") from exc
    try:
        doc = json.loads(text)
        items = doc if isinstance(doc, list) else [doc]
    except json.JSONDecodeError:
        items = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    items.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ExportError(f"{path}:{n}: not JSON ({exc.msg})") from exc
    if not items or not all(isinstance(x, dict) for x in items):
        raise ExportError(f"{path}: expected JSON objects (a verdict, an array of them, or JSONL)")
    return items


def _signed_record(item: dict[str, Any]) -> dict[str, Any] | None:
    """The signed record inside an item: an export row's ``verdict``, ``kb show``'s ``verdict_json``, or itself."""
    for key in ("verdict_json", "verdict"):
        value = item.get(key)
        if isinstance(value, str) and value.lstrip().startswith("{"):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                return None
        if isinstance(value, dict):
            return value
    return item


def item_id(item: dict[str, Any], index: int) -> str:
    rec = _signed_record(item) or {}
    return str(item.get("record_id") or rec.get("record_id") or f"#{index + 1}")


def check_row(item: dict[str, Any], trusted_keys: set[str] | None = None) -> list[str]:
    """Problems with one item (empty list = valid): bad signature, sources or columns not matching it."""
    rec = _signed_record(item)
    if rec is None:
        return ["verdict is not valid JSON"]
    if not rec.get("signature"):
        return ["unsigned (no signature)"]
    if not verify_record(rec, trusted_keys):
        if trusted_keys is not None and verify_record(rec, None):
            return [
                f"signed by an untrusted key ({fingerprint(str(rec.get('public_key')))}; `kernelwright key trust KEY` to trust it)"
            ]
        return ["signature does not verify"]
    errors: list[str] = []
    if rec is item:
        return errors
    kernel = item.get("kernel_source", item.get("candidate_source"))
    reference = item.get("reference_source", item.get("problem_source"))
    if kernel is not None and sha256_text(str(kernel)) != rec.get("candidate_sha256"):
        errors.append("kernel source does not hash to the signed candidate_sha256")
    if reference is not None and sha256_text(str(reference)) != rec.get("problem_sha256"):
        errors.append("reference source does not hash to the signed problem_sha256")
    if "verdict_json" in item:
        return errors  # `kb show --json`: summary columns come from the database, only sources checked
    expected = row_from_record(rec, reference, kernel)
    for col, value in item.items():
        if (
            col in expected
            and col not in ("verdict", "reference_source", "kernel_source")
            and value != expected[col]
        ):
            errors.append(f"column {col!r} differs from the signed verdict")
    return errors
