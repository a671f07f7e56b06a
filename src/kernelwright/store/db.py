"""Engine construction: where the database is and how SQLite is made safe for parallel writers.

Why the SQLite tuning: a suite run has several worker processes recording verdicts into one file.
WAL lets readers proceed while one process writes; ``busy_timeout`` makes a writer wait for the lock
instead of failing; and every write transaction starts with ``BEGIN IMMEDIATE`` so two writers never
both hold a read snapshot and then deadlock upgrading it (SQLite answers that with an immediate
SQLITE_BUSY that no timeout retries). ``synchronous=FULL`` makes a commit durable when it returns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from kernelwright.settings import data_dir, db_url

DEFAULT_DB_NAME = "kernelwright.db"
BUSY_TIMEOUT_MS = 60_000
WRITE_OPTION = "kw_write"  # execution option that makes the SQLite BEGIN an IMMEDIATE one


def default_url() -> str:
    """``$KERNELWRIGHT_DB`` or the SQLite file in the user data dir (``$KERNELWRIGHT_HOME`` if set)."""
    env = db_url()
    if env:
        return env
    path = data_dir() / DEFAULT_DB_NAME
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite files the parent directory is created and WAL is enabled."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that BEGIN is ours (see below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
