"""The spool: verdicts that could not be recorded wait here and are retried, never lost.

Why: judging is the expensive part (minutes on a GPU, hours for a suite), so a store that is down, a
write lock held past the busy timeout or a signing key that cannot be read must not throw a finished
verdict away. The CLI (cli/common.py `record`) writes such a verdict here, prints it as usual and
says where it went; the next successful record of the same store, or `kernelwright kb flush-spool`,
records it (signed then, with ``spooled_at`` and ``spool_reason`` in its provenance).

One JSON file per verdict under ``settings.spool_dir()``: written to a temporary name and renamed,
so a crash never leaves half a record; 0600 in a 0700 directory, because an entry is not signed yet
and whoever could edit it could get a forged verdict signed at flush time: the spool is trusted state,
like the signing key. A flush claims each file by renaming it, so two processes never record one
entry twice; a claim left by a process that died is taken back.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kernelwright.settings import spool_dir
from kernelwright.store.db import StoreError, error_line, is_unavailable, safe_url, sqlite_path
from kernelwright.store.signing import SigningKeyError, private_dir

if TYPE_CHECKING:
    from kernelwright.store.core import Store

SPOOL_SCHEMA = "kernelwright.spool/1"
SUFFIX = ".json"
CLAIM = ".claim-"
BAD = ".bad"


def store_identity(url: str | None) -> str:
    """Which store an entry is for: an SQLite file by its absolute path, others by URL (no password)."""
    from kernelwright.store.db import default_url

    target = url or default_url()
    path = sqlite_path(target)
    if path is not None:
        return f"sqlite:///{path.resolve()}"
    return safe_url(target)


def spool_verdict(
    body: dict[str, Any],
    *,
    store_url: str | None,
    reason: str,
    problem_source: str,
    candidate_source: str,
    origin: dict[str, Any] | None = None,
    run_id: str | None = None,
    item_key: str | None = None,
    directory: Path | None = None,
) -> Path:
    """Write one unrecorded verdict to the spool and return its file."""
    folder = private_dir(directory or spool_dir())
    now = datetime.now(UTC)
    entry = {
        "schema": SPOOL_SCHEMA,
        "store": store_identity(store_url),
        "reason": reason,
        "spooled_at": now.isoformat(),
        "verdict": body,
        "problem_source": problem_source,
        "candidate_source": candidate_source,
        "origin": origin or {"kind": "file"},
        "run_id": run_id,
        "item_key": item_key,
    }
    final = folder / f"{now.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:8]}{SUFFIX}"
    fd, tmp = tempfile.mkstemp(prefix=".spool-", dir=folder)  # 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(entry, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return final


def pending(directory: Path | None = None) -> list[Path]:
    """Spooled entries waiting, oldest first (claims of dead processes are taken back first)."""
    folder = directory or spool_dir()
    if not folder.is_dir():
        return []
    for claim in folder.glob(f"*{SUFFIX}{CLAIM}*"):
        pid = claim.name.rsplit(CLAIM, 1)[1]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                os.rename(claim, claim.with_name(claim.name.rsplit(CLAIM, 1)[0]))
    return sorted(p for p in folder.glob(f"*{SUFFIX}") if p.is_file())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class FlushResult:
    flushed: int = 0  # recorded now
    left: int = 0  # still waiting for this store (it failed again: see error)
    other_stores: int = 0  # waiting for another store (flush there, or --all)
    bad: int = 0  # unreadable or refused entries, renamed *.bad
    error: str | None = None  # why the flush stopped early


def flush(store: Store, *, all_stores: bool = False, directory: Path | None = None) -> FlushResult:
    """Record every spooled verdict meant for ``store`` (every one with ``all_stores``).

    Stops at the first entry the store cannot take *now* (down, locked, key unreadable): the rest
    wait. An entry the store refuses for good (not a verdict, sources that do not hash to it) is
    renamed ``*.bad`` and counted, never retried forever.
    """
    result = FlushResult()
    mine = store_identity(store.url)
    for path in pending(directory):
        if result.error is not None:
            result.left += 1
            continue
        claim = path.with_name(f"{path.name}{CLAIM}{os.getpid()}")
        try:
            os.rename(path, claim)
        except FileNotFoundError:
            continue  # another process took it
        try:
            entry = json.loads(claim.read_text(encoding="utf-8"))
            if not isinstance(entry, dict) or entry.get("schema") != SPOOL_SCHEMA:
                raise ValueError("not a kernelwright spool entry")
        except (OSError, ValueError):
            _set_aside(claim, path)
            result.bad += 1
            continue
        if not all_stores and entry.get("store") != mine:
            os.rename(claim, path)
            result.other_stores += 1
            continue
        try:
            _record(store, entry)
        except Exception as exc:  # noqa: BLE001 - sorted below: retry later, or set aside for good
            if isinstance(exc, SigningKeyError | OSError) or is_unavailable(exc):
                os.rename(claim, path)
                result.error = error_line(exc, store.url)
                result.left += 1
            else:
                _set_aside(claim, path)
                result.bad += 1
            continue
        claim.unlink()
        result.flushed += 1
    return result


def _record(store: Store, entry: dict[str, Any]) -> None:
    run_id = entry.get("run_id")
    if run_id is not None and store.get_run(str(run_id)) is None:
        run_id = None  # flushed into another store (--all) or the run is gone: keep it in provenance
    origin = {
        **(entry.get("origin") or {}),
        "spooled_at": entry.get("spooled_at"),
        "spool_reason": entry.get("reason"),
    }
    if entry.get("run_id") and run_id is None:
        origin["run_id"] = entry["run_id"]
    verdict = entry.get("verdict")
    if not isinstance(verdict, dict):
        raise StoreError("the spool entry holds no verdict")
    store.record_verdict(
        verdict,
        problem_source=str(entry.get("problem_source", "")),
        candidate_source=str(entry.get("candidate_source", "")),
        origin=origin,
        run_id=run_id,
        item_key=entry.get("item_key") if run_id else None,
    )


def _set_aside(claim: Path, path: Path) -> None:
    with contextlib.suppress(OSError):
        os.rename(claim, path.with_name(path.name + BAD))
