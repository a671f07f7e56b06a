"""CLI for the store: ``kb list|show|search``, ``verdict check`` and ``export``.

The main app mounts these (see :func:`mount`). Exit codes follow the verify contract: 0 success,
1 a check failed (``verdict check``), 2 bad invocation or input (missing file, unreadable JSON, unknown
record, unreachable database), always with one line on stderr saying why.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.table import Table

from kernelwright.cli.common import die
from kernelwright.cli.render import console as _console

if TYPE_CHECKING:  # SQLAlchemy loads when a command opens the store, not for `--help`
    from kernelwright.store import Store

kb_app = typer.Typer(help="Browse the knowledge base of stored, signed verdicts.", no_args_is_help=True)
verdict_app = typer.Typer(help="Work with verdict files.", no_args_is_help=True)

DbOption = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL; overrides $KERNELWRIGHT_DB.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
UnverifiedOption = Annotated[
    bool,
    typer.Option(
        "--include-unverified",
        help="Also list records whose signature or columns fail verification (marked, never as verified).",
    ),
]


def _say_hidden(store: Store, shown: bool) -> None:
    """One stderr line when a read met records that fail verification."""
    if store.unverified:
        what = "are marked UNVERIFIED below" if shown else "are hidden (--include-unverified lists them)"
        typer.echo(
            f"warning: {store.unverified} record(s) failed signature or column verification and {what}",
            err=True,
        )


MAX_SEARCH_CHARS = 4096


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    parquet = "parquet"


def _fail(message: str, code: int = 2) -> NoReturn:
    die(message, code)


def _open(db: str | None) -> Store:
    from kernelwright.errors import KernelwrightError
    from kernelwright.store import Store
    from kernelwright.store.db import error_line, safe_url

    try:
        return Store.open(db)
    except KernelwrightError as exc:  # corrupt or empty file, newer schema, KERNELWRIGHT_HOME a file
        _fail(f"cannot open the database: {exc}")
    except Exception as exc:  # noqa: BLE001 - bad URL, driver missing, server down: all bad invocation
        _fail(f"cannot open the database {safe_url(db)}: {error_line(exc, db)}")


def _echo_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, ensure_ascii=False))


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}x"


def _records_table(rows: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for col in (
        "record",
        "problem",
        "verdict",
        "category",
        "vs eager",
        "vs compiled",
        "lang",
        "device",
        "created",
    ):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r["record_id"][:12],
            r["problem"],
            r["verdict"] if r.get("verified", True) else f"UNVERIFIED ({r['verdict']})",
            r["category"] or "",
            _fmt(r["speedup_vs_eager"]),
            _fmt(r["speedup_vs_compiled"]),
            r["language"],
            r["device"],
            (r["created_at"] or "")[:19],
        )
    return table


@kb_app.command("list")
def list_command(
    json_: JsonOption = False,
    problem: Annotated[str | None, typer.Option("--problem", help="Problem path, id or file stem.")] = None,
    accepted: Annotated[bool, typer.Option("--accepted", help="Only accepted records.")] = False,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Show at most this many records.")
    ] = None,
    include_unverified: UnverifiedOption = False,
    db: DbOption = None,
) -> None:
    """List stored verdicts, newest first (only records whose signatures verify, by default)."""
    with _open(db) as store:
        rows = store.list_records(
            problem=problem, accepted_only=accepted, limit=limit, include_unverified=include_unverified
        )
        _say_hidden(store, include_unverified)
    if json_:
        _echo_json(rows)
    else:
        _console().print(_records_table(rows, f"{len(rows)} record(s)"))


@kb_app.command("show")
def show_command(
    record_id: Annotated[str, typer.Argument(help="Record id (a unique prefix is enough).")],
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Show one record: the full signed verdict JSON and the candidate source."""
    with _open(db) as store:
        matches = store.resolve_record_id(record_id)
        if record_id in matches:
            matches = [record_id]
        if not matches:
            _fail(f"no record {record_id!r}")
        if len(matches) > 1:
            _fail(f"record id prefix {record_id!r} is ambiguous: {', '.join(matches)}")
        rec = store.get_record(matches[0])
    assert rec is not None
    if json_:
        _echo_json(rec)
    else:
        typer.echo(json.dumps(rec["verdict_json"], indent=2, ensure_ascii=False))
        typer.echo(f"\n# candidate source ({rec['language']}, sha256 {rec['candidate_sha256']})")
        typer.echo(rec["candidate_source"])
    if not rec["verified"]:
        typer.echo(
            f"warning: record {rec['record_id']} is NOT verified: {rec['unverified_because']}", err=True
        )
        raise typer.Exit(1)


@kb_app.command("search")
def search_command(
    text: Annotated[
        str | None, typer.Argument(help="Text to find in problem ids, sources and reasons.")
    ] = None,
    like: Annotated[
        Path | None, typer.Option("--like", help="Find kernels for problems similar to this file.")
    ] = None,
    k: Annotated[int, typer.Option("--k", "-k", min=1, help="How many results.")] = 5,
    json_: JsonOption = False,
    include_unverified: UnverifiedOption = False,
    db: DbOption = None,
) -> None:
    """Search records by text, or (--like PROBLEM) retrieve accepted kernels for similar problems."""
    if (text is None) == (like is None):
        _fail("give either TEXT or --like PROBLEM_FILE")
    if text is not None and len(text) > MAX_SEARCH_CHARS:
        # SQLite refuses LIKE patterns over 50,000 bytes; no one means to search for a whole file.
        _fail(
            f"search text is {len(text)} characters; at most {MAX_SEARCH_CHARS} (use --like FILE for a problem)"
        )
    if like is not None and not like.is_file():
        _fail(f"no such problem file: {like}")
    with _open(db) as store:
        if like is None:
            rows = store.search_text(str(text), limit=k, include_unverified=include_unverified)
            _say_hidden(store, include_unverified)
            if json_:
                _echo_json(rows)
            else:
                _console().print(_records_table(rows, f"{len(rows)} match(es) for {text!r}"))
            return
        from kernelwright.knowledge import KnowledgeBase

        try:
            kb = KnowledgeBase(store)
            entries = kb.retrieve(str(like), k=k)
            _say_hidden(store, False)
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"cannot read {like}: {exc}")
    if json_:
        _echo_json(
            [
                {**asdict(e), "environment": e.environment.model_dump() if e.environment else None}
                for e in entries
            ]
        )
        return
    table = Table(title=f"{len(entries)} kernel(s) for problems like {like.name}")
    for col in ("record", "problem", "family", "score", "vs eager", "vs compiled", "lang", "device"):
        table.add_column(col, overflow="fold")
    for e in entries:
        table.add_row(
            e.record_id[:12],
            e.problem,
            e.op_family or "",
            f"{e.score:.3f}",
            _fmt(e.speedup_vs_eager),
            _fmt(e.speedup_vs_compiled),
            e.language,
            e.environment.device if e.environment else "",
        )
    _console().print(table)


@kb_app.command("flush-spool")
def flush_spool_command(
    all_: Annotated[
        bool,
        typer.Option("--all", help="Also record verdicts spooled for other databases into this one."),
    ] = False,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Record the verdicts that were spooled because the store was down, locked or the key unreadable.

    Each is signed now (its provenance says when and why it was spooled). Exit status 0 when the
    spool holds nothing more for this database, 1 when some still wait (the store failed again).
    """
    from kernelwright.cli.common import flush_spool
    from kernelwright.settings import spool_dir

    with _open(db) as store:
        result = flush_spool(store, all_stores=all_)
    if json_:
        _echo_json({**asdict(result), "spool": str(spool_dir())})
    else:
        typer.echo(
            f"recorded {result.flushed}, waiting {result.left}, for other databases {result.other_stores}, "
            f"set aside as unusable {result.bad} (spool: {spool_dir()})"
        )
    raise typer.Exit(1 if result.left else 0)


@verdict_app.command("check")
def check_command(
    file: Annotated[
        Path, typer.Argument(help="A verdict JSON file, a JSON array, or an export (JSONL/Parquet).")
    ],
    trusted_key: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-key",
            metavar="KEY",
            help="Base64 public key to trust besides this machine's key and keyring (repeatable).",
        ),
    ] = None,
    any_key: Annotated[
        bool,
        typer.Option(
            "--any-key",
            help="Accept a signature by whatever key the record embeds (proves integrity, not origin).",
        ),
    ] = False,
) -> None:
    """Check every record's ed25519 signature against trusted keys and, for export rows, each column.

    Trusted by default: this machine's signing key and the keys in its keyring (`kernelwright key
    trust`); a record signed by any other key fails, however valid its signature.
    """
    from kernelwright.store.export import ExportError, check_row, item_id, read_items

    if not file.is_file():
        _fail(f"no such file: {file}")
    try:
        items = read_items(file)
    except ExportError as exc:
        _fail(str(exc))
    from kernelwright.store.signing import trusted_keys

    trusted = None if any_key else set(trusted_keys()) | set(trusted_key or [])
    bad = 0
    for index, item in enumerate(items):
        errors = check_row(item, trusted)
        if errors:
            bad += 1
            typer.echo(f"bad record {item_id(item, index)}: {'; '.join(errors)}", err=True)
    if bad:
        typer.echo(f"{bad} of {len(items)} record(s) failed the check")
        raise typer.Exit(1)
    typer.echo(f"ok: {len(items)} record(s), all signatures valid")


def export_command(
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    format_: Annotated[ExportFormat, typer.Option("--format", help="jsonl or parquet.")] = ExportFormat.jsonl,
    min_speedup: Annotated[
        float | None,
        typer.Option(
            "--min-speedup",
            help="Keep rows whose speedup over the stronger baseline is at least X (needs timing).",
        ),
    ] = None,
    include_rejected: Annotated[
        bool, typer.Option("--include-rejected", help="Also export rejected/skipped.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Export verified (reference, kernel, verdict) pairs with provenance for fine-tuning."""
    from kernelwright.store.export import export

    with _open(db) as store:
        try:
            n = export(store, out, format_.value, include_rejected=include_rejected, min_speedup=min_speedup)
        except OSError as exc:
            _fail(f"cannot write {out}: {exc}")
        _say_hidden(store, False)
    typer.echo(f"exported {n} row(s) to {out}")


key_app = typer.Typer(help="The signing key and the keyring of trusted keys.", no_args_is_help=True)


@key_app.command("show")
def key_show_command(json_: JsonOption = False) -> None:
    """Where the key lives, its public key and fingerprint, and the keyring."""
    from kernelwright.settings import config_dir
    from kernelwright.store.signing import PUBLIC_KEY_FILE, fingerprint, keyring

    pub = config_dir() / PUBLIC_KEY_FILE
    mine = pub.read_text().strip() if pub.is_file() else None
    ring = [{"public_key": k, "fingerprint": fingerprint(k)} for k in keyring()]
    if json_:
        _echo_json(
            {
                "directory": str(config_dir()),
                "public_key": mine,
                "fingerprint": fingerprint(mine) if mine else None,
                "keyring": ring,
            }
        )
        return
    typer.echo(f"key directory: {config_dir()}")
    typer.echo(f"public key:    {mine or '(none yet: made at the first signed verdict)'}")
    for k in ring:
        typer.echo(f"trusted:       {k['public_key']} ({k['fingerprint']})")


@key_app.command("rotate")
def key_rotate_command() -> None:
    """Make a new signing key; the old public key stays trusted so its verdicts still verify."""
    from kernelwright.store.signing import SigningKeyError, fingerprint, rotate_key

    try:
        old, new = rotate_key()
    except SigningKeyError as exc:
        _fail(str(exc))
    typer.echo(f"rotated: {fingerprint(old)} -> {fingerprint(new)} (the old key stays in the keyring)")


@key_app.command("trust")
def key_trust_command(
    public_key: Annotated[
        str, typer.Argument(help="Base64 ed25519 public key (another machine's `key show`)")
    ],
) -> None:
    """Trust verdicts signed by another machine's key (adds it to the keyring)."""
    from kernelwright.errors import BadInput
    from kernelwright.store.signing import fingerprint, trust_key

    try:
        trust_key(public_key)
    except BadInput as exc:
        _fail(str(exc))
    typer.echo(f"trusted {fingerprint(public_key)}")


def mount(app: typer.Typer) -> None:
    """Attach ``kb``, ``verdict`` and ``export`` to the main app (what ``kernelwright.cli`` should call)."""
    app.add_typer(kb_app, name="kb")
    app.add_typer(verdict_app, name="verdict")
    app.add_typer(key_app, name="key")
    app.command("export")(export_command)
