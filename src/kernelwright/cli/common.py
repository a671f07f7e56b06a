"""What every command shares: the one error exit, the judge config, the store, judge-then-record.

Errors: one line on stderr, prefixed `kernelwright:`, secrets redacted, exit 2 (DESIGN contract).

No verdict lost: when the store cannot take a finished verdict (server down, write lock held past
the busy timeout, signing key unreadable), `record` spools it (store/spool.py), warns in one line and
hands back the bare verdict, so the command prints it and exits with the verdict's own code. A store
that cannot even be opened for such a reason becomes an `UnavailableStore`: the judging goes on and
its verdicts are spooled. A store that is wrong (bad URL, corrupt file) stays bad input, exit 2.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from kernelwright.errors import BadInput

if TYPE_CHECKING:
    from kernelwright.judge.config import JudgeConfig
    from kernelwright.store import Store
    from kernelwright.verdict import Verdict


def one_line(message: object) -> str:
    """The first non-empty line of ``message``, secrets redacted."""
    from kernelwright.secrets import redact

    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    return redact(lines[0]) if lines else "failed"


def fail(message: str, code: int = 2) -> typer.Exit:
    """Write the one error line and return the exit to raise (`raise fail(...) from None`)."""
    sys.stderr.write(f"kernelwright: {one_line(message)}\n")
    return typer.Exit(code)


def warn(message: str) -> None:
    """One warning line on stderr (the command goes on)."""
    sys.stderr.write(f"kernelwright: warning: {one_line(message)}\n")


def input_file(path: Path, what: str) -> Path:
    """``path`` when it is a readable regular file; else BadInput naming what is wrong with it."""
    if path.is_dir():
        raise BadInput(f"{what} {path} is a directory, not a file")
    if not path.is_file():
        raise BadInput(f"{what} not found: {path}")
    return path


def input_dir(path: Path, what: str) -> Path:
    """``path`` when it is a directory; else BadInput naming what is wrong with it."""
    if path.is_file():
        raise BadInput(f"{what} {path} is a file, not a directory")
    if not path.is_dir():
        raise BadInput(f"{what} not found: {path}")
    return path


def die(message: str, code: int = 2) -> NoReturn:
    raise fail(message, code)


def build_config(config_file: Path | None, **overrides: Any) -> JudgeConfig:
    """One config type from a TOML file's [judge] table, with CLI flags on top."""
    from pydantic import ValidationError

    from kernelwright.judge.config import JudgeConfig

    data: dict[str, Any] = {}
    if config_file is not None:
        input_file(config_file, "config file")
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


class UnavailableStore:
    """The store named on the command line, which cannot be reached or written now: verdicts are spooled."""

    def __init__(self, url: str | None, error: BaseException) -> None:
        from kernelwright.store.db import error_line, safe_url

        self.target = url
        self.url = safe_url(url)
        self.error = error_line(error, url)


def open_store(no_store: bool, db: str | None) -> Store | None:
    """The store named by --db, $KERNELWRIGHT_DB or the default SQLite file; None with --no-store."""
    store = _open_store(no_store, db, spool=False)
    assert not isinstance(store, UnavailableStore)
    return store


def open_store_or_spool(no_store: bool, db: str | None) -> Store | UnavailableStore | None:
    """`open_store` for commands that judge first and record after: a store that is only unavailable
    now (down, locked) comes back as an :class:`UnavailableStore`, so the judging goes on and its
    verdicts are spooled, instead of failing before anything was judged."""
    return _open_store(no_store, db, spool=True)


def _open_store(no_store: bool, db: str | None, *, spool: bool) -> Store | UnavailableStore | None:
    if no_store:
        return None
    from kernelwright.store import Store
    from kernelwright.store.db import StoreError, error_line, is_unavailable, safe_url

    try:
        return Store.open(db)
    except (StoreError, BadInput) as exc:
        raise BadInput(f"cannot open the store: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - bad URL, missing driver, server down: sorted here
        if spool and is_unavailable(exc):
            return UnavailableStore(db, exc)
        raise BadInput(f"cannot open the store {safe_url(db)}: {error_line(exc, db)}") from exc


_flush_due = True  # retry the spool after the first good record of this process, and after each spool


def record(
    store: Store | UnavailableStore | None,
    verdict: Verdict,
    problem_source: str,
    candidate_source: str,
    run_id: str | None = None,
    item_key: str | None = None,
    origin: dict | None = None,
) -> dict:
    """Store the verdict signed and return what to print: the signed record, or the bare verdict.

    When the store cannot take it, the verdict is spooled (one warning line) and the bare verdict is
    returned: the caller prints it and exits with its code as if nothing happened.
    """
    global _flush_due
    body = verdict.to_json_dict()
    if store is None:
        return body
    from kernelwright.store.db import StoreError, error_line

    if isinstance(store, UnavailableStore):
        target, why = store.target, store.error
    else:
        try:
            rec = store.record_verdict(
                verdict,
                problem_source=problem_source,
                candidate_source=candidate_source,
                origin=origin or {"kind": "file"},
                run_id=run_id,
                item_key=item_key,
            )
        except StoreError as exc:  # refused for good (sources do not hash to the verdict): nothing to retry
            warn(f"the verdict was not recorded: {exc}")
            return body
        except Exception as exc:  # noqa: BLE001 - down, locked, key unreadable, disk full: spool it
            target, why = store.engine.url.render_as_string(hide_password=False), error_line(exc, store.url)
        else:
            if _flush_due:
                _flush_due = False
                flush_spool(store, quiet=True)
            # The signed record: every contract field plus record_id, problem_sha256, provenance,
            # signature and public_key, so `kernelwright verdict check` verifies exactly what was printed.
            return dict(rec.verdict)
    from kernelwright.store.db import safe_url
    from kernelwright.store.spool import spool_verdict

    try:
        path = spool_verdict(
            body,
            store_url=target,
            reason=why,
            problem_source=problem_source,
            candidate_source=candidate_source,
            origin=origin,
            run_id=run_id,
            item_key=item_key,
        )
    except Exception as exc:  # noqa: BLE001 - the verdict is still printed: say it is only there
        warn(f"the verdict could not be recorded ({why}) nor spooled ({error_line(exc)}): keep the output")
        return body
    _flush_due = True
    warn(
        f"the verdict could not be recorded in {safe_url(target)} ({why}); spooled to {path}: "
        "`kernelwright kb flush-spool` records it (or the next verdict recorded there)"
    )
    return body


def flush_spool(store: Store, *, all_stores: bool = False, quiet: bool = False) -> Any:
    """Record spooled verdicts into ``store``; one stderr line when something was recorded or failed."""
    from kernelwright.store.spool import flush

    result = flush(store, all_stores=all_stores)
    if result.flushed:
        sys.stderr.write(f"kernelwright: recorded {result.flushed} spooled verdict(s) into {store.url}\n")
    if result.error and not quiet:
        warn(f"{result.left} spooled verdict(s) still wait: {result.error}")
    return result


def judge_and_record(
    problem: Path,
    candidate: Path,
    config: JudgeConfig,
    store: Store | UnavailableStore | None,
    repeat: int = 1,
) -> tuple[Verdict, dict]:
    """The one "judge then record" path of every command that judges a file."""
    from kernelwright.judge import judge

    input_file(problem, "problem")
    input_file(candidate, "candidate")
    verdict = judge(problem, candidate, config, repeat=repeat)
    return verdict, record(store, verdict, problem.read_text(), candidate.read_text())
