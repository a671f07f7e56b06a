"""Engine construction: where the database is and how SQLite is made safe for parallel writers.

Why the SQLite tuning: a suite run has several worker processes recording verdicts into one file.
WAL lets readers proceed while one process writes; ``busy_timeout`` makes a writer wait for the lock
instead of failing; and every write transaction starts with ``BEGIN IMMEDIATE`` so two writers never
both hold a read snapshot and then deadlock upgrading it (SQLite answers that with an immediate
SQLITE_BUSY that no timeout retries). ``synchronous=FULL`` makes a commit durable when it returns.

Why the checks on open (:func:`check_sqlite_file`, :func:`quick_check`): SQLite happily turns a 0-byte
file into a new, empty store (the records that file held are gone without a word), and a file with a
corrupt page opens fine and fails later, in the middle of `kb list` or `export`. Both are refused on
open with a :class:`StoreError` that says what to do.

Why :func:`safe_url` and :func:`error_line`: a URL may carry a password, and a driver's error is
several lines long; the CLI prints one line without the password.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

from kernelwright.errors import KernelwrightError
from kernelwright.settings import data_dir, db_busy_timeout_ms, db_url

DEFAULT_DB_NAME = "kernelwright.db"
WRITE_OPTION = "kw_write"  # execution option that makes the SQLite BEGIN an IMMEDIATE one


def default_url() -> str:
    """``$KERNELWRIGHT_DB`` or the SQLite file in the user data dir (``$KERNELWRIGHT_HOME`` if set)."""
    env = db_url()
    if env:
        return env
    path = data_dir() / DEFAULT_DB_NAME
    return f"sqlite:///{path}"


class StoreError(KernelwrightError):
    """The database cannot be used as asked (newer schema, unknown run, hash mismatch, corrupt file...)."""


def safe_url(url: str | None) -> str:
    """``url`` as it may be printed: the password hidden (also when the URL does not even parse)."""
    if not url:
        return "the default store"
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - unparseable: mask whatever sits between "user:" and "@"
        return re.sub(r"(://[^/@:]*:)[^@]*@", r"\1***@", url)


def error_line(error: BaseException, url: str | None = None) -> str:
    """One line for a database error: the driver's first line, without SQL or password."""
    from kernelwright.secrets import redact

    inner = getattr(error, "orig", None) or error
    text = str(inner).strip()
    first = text.splitlines()[0].strip() if text else type(inner).__name__
    secrets = []
    if url:
        with contextlib.suppress(Exception):
            password = make_url(url).password
            if password:
                secrets.append(str(password))
    return redact(first, secrets) if secrets else redact(first)


def sqlite_path(url: str) -> Path | None:
    """The file an SQLite URL names (None: another backend, an in-memory or a `file:` URI database)."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - make_engine reports the bad URL
        return None
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def is_unavailable(error: BaseException) -> bool:
    """True when the database exists but cannot be reached or written *now* (server down, write lock
    held past the busy timeout, disk full): the verdict is spooled and retried, not refused as bad input.
    """
    if not isinstance(
        error, exc.OperationalError | exc.InterfaceError | exc.DisconnectionError | exc.TimeoutError
    ):
        return isinstance(error, sqlite3.OperationalError) and _sqlite_busy(str(error))
    orig = getattr(error, "orig", None)
    if isinstance(orig, sqlite3.Error):
        return _sqlite_busy(str(orig))
    return True


def _sqlite_busy(message: str) -> bool:
    message = message.lower()
    return any(s in message for s in ("locked", "busy", "disk i/o error", "disk is full"))


def check_sqlite_file(path: Path) -> None:
    """Refuse what SQLite would silently turn into an empty store: a 0-byte file, or a directory."""
    if path.is_dir():
        raise StoreError(f"the database {path} is a directory, not a file")
    if not path.exists() or path.stat().st_size > 0:
        return
    deadline = time.monotonic() + 1.0  # a parallel process may be creating it right now: give it a moment
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if path.stat().st_size > 0:
            return
    raise StoreError(
        f"the database file {path} is empty (0 bytes) and is not initialised as a new store, because "
        "an emptied file usually means lost records: restore it from a backup, or delete it to start anew"
    )


def quick_check(engine: Engine, path: Path) -> None:
    """SQLite's own page-level check; a corrupt or non-SQLite file is a StoreError, said in one line."""
    try:
        with engine.connect() as conn:
            rows = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA quick_check(3)")]
    except exc.DBAPIError as error:
        if is_unavailable(error):
            raise
        raise StoreError(f"the database {path} cannot be used: {error_line(error)}") from None
    if rows != ["ok"]:
        detail = " ".join("; ".join(rows).split())[:200]  # SQLite's report spans lines: one line here
        raise StoreError(
            f"the database {path} failed SQLite's integrity check ({detail}): restore it "
            "from a backup (docs/OPERATIONS.md); `sqlite3 FILE .recover` may save what is left"
        )


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite files the parent directory is created and WAL is enabled.

    A database file kernelwright creates is 0600 (SQLite gives its -wal and -shm files the same mode).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    engine = create_engine(url, connect_args={"timeout": db_busy_timeout_ms() / 1000})
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    busy_ms = db_busy_timeout_ms()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that BEGIN is ours (see below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
