"""What every command shares: the one error exit, the judge config, the store, judge-then-record.

Errors: one line on stderr, prefixed `kernelwright:`, secrets redacted, exit 2 (DESIGN contract).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from pydantic import ValidationError

from kernelwright.errors import BadInput
from kernelwright.judge.config import JudgeConfig

if TYPE_CHECKING:
    from kernelwright.store import Store
    from kernelwright.verdict import Verdict


def fail(message: str, code: int = 2) -> typer.Exit:
    """Write the one error line and return the exit to raise (`raise fail(...) from None`)."""
    from kernelwright.secrets import redact

    first = str(message).strip().splitlines()[0] if str(message).strip() else "failed"
    sys.stderr.write(f"kernelwright: {redact(first)}\n")
    return typer.Exit(code)


def die(message: str, code: int = 2) -> NoReturn:
    raise fail(message, code)


def build_config(config_file: Path | None, **overrides: Any) -> JudgeConfig:
    """One config type from a TOML file's [judge] table, with CLI flags on top."""
    data: dict[str, Any] = {}
    if config_file is not None:
        if not config_file.is_file():
            raise BadInput(f"config file not found: {config_file}")
        try:
            raw = tomllib.loads(config_file.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise BadInput(f"config file {config_file} is not valid TOML: {exc}") from exc
        table = raw.get("judge", {k: v for k, v in raw.items() if not isinstance(v, dict)})
        if not isinstance(table, dict):
            raise BadInput(f"config file {config_file}: [judge] must be a table, not {type(table).__name__}")
        data = dict(table)
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return JudgeConfig(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "judge"
        raise BadInput(f"bad setting {where}: {first['msg']}") from exc


def open_store(no_store: bool, db: str | None) -> Store | None:
    """The store named by --db, $KERNELWRIGHT_DB or the default SQLite file; None with --no-store."""
    if no_store:
        return None
    from kernelwright.store import Store

    try:
        return Store.open(db)
    except Exception as exc:  # noqa: BLE001 - a broken store URL is bad input, said in one line
        raise BadInput(f"cannot open the store ({db or 'KERNELWRIGHT_DB / default'}): {exc}") from exc


def record(
    store: Store | None,
    verdict: Verdict,
    problem_source: str,
    candidate_source: str,
    run_id: str | None = None,
    item_key: str | None = None,
    origin: dict | None = None,
) -> dict:
    """Store the verdict signed and return what to print: the signed record, or the bare verdict."""
    body = verdict.to_json_dict()
    if store is None:
        return body
    rec = store.record_verdict(
        verdict,
        problem_source=problem_source,
        candidate_source=candidate_source,
        origin=origin or {"kind": "file"},
        run_id=run_id,
        item_key=item_key,
    )
    # The signed record: every contract field plus record_id, problem_sha256, provenance, signature and
    # public_key, so `kernelwright verdict check` verifies exactly what was printed.
    return dict(rec.verdict)


def judge_and_record(
    problem: Path, candidate: Path, config: JudgeConfig, store: Store | None
) -> tuple[Verdict, dict]:
    """The one "judge then record" path of every command that judges a file."""
    from kernelwright.judge import judge

    verdict = judge(problem, candidate, config)
    return verdict, record(store, verdict, problem.read_text(), candidate.read_text())
