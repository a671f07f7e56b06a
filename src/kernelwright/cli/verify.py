"""`kernelwright verify` and `kernelwright guard`: judge one candidate, or only scan it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kernelwright.cli.common import (
    build_config,
    fail,
    input_file,
    judge_and_record,
    open_store_or_spool,
    record,
)
from kernelwright.cli.progress import JUDGE_PHASES, spinner
from kernelwright.cli.render import console, verdict_table
from kernelwright.errors import KernelwrightError

if TYPE_CHECKING:
    from kernelwright.judge import JudgeConfig
    from kernelwright.verdict import Verdict

WEAK_SANDBOX_HELP = "Accept a verdict from a sandbox missing some isolation layers (the verdict says which)"
# Judge options `verify` and `suite run` share: one wording for both.
SEEDS_HELP = "Benchmark-size seeds to check (default 5)"
FUZZ_HELP = "Fuzz cases from get_fuzz_inputs (default 8)"
TIMEOUT_HELP = "Whole-judgement timeout in seconds, per candidate"
DEVICE_HELP = "auto | cpu | cuda"
CONFIG_HELP = "TOML file with a [judge] table"
DB_HELP = "SQLAlchemy URL (default: KERNELWRIGHT_DB or SQLite)"
OP_POLICY_HELP = (
    "Which PyTorch ops forward may run besides its kernels: default (free ops, data movement, vendor "
    "GEMMs/convolutions) | strict (free ops only) | loose (KernelBench's: anything but every op the "
    "reference runs)"
)
ALLOW_OP_HELP = "An aten op the default policy also lets through (repeatable, e.g. --allow-op softmax)"
REPEAT_HELP = (
    "Judge N times, each in fresh worker processes, and report every run's kernel time and their "
    "max/min (GPU only: on the CPU nothing is timed and it judges once)"
)


def verify(
    problem: Annotated[
        Path,
        typer.Argument(
            help="KernelBench-format problem file (class Model, get_inputs, ...), or a GPU MODE task "
            "folder (task.yml, reference.py)"
        ),
    ],
    candidate: Annotated[
        Path,
        typer.Argument(help="Candidate file defining class ModelNew (for a GPU MODE task: custom_kernel)"),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one verdict JSON object")] = False,
    seeds: Annotated[int | None, typer.Option(help=SEEDS_HELP)] = None,
    fuzz: Annotated[int | None, typer.Option(help=FUZZ_HELP)] = None,
    timeout: Annotated[float | None, typer.Option(help=TIMEOUT_HELP)] = None,
    strict: Annotated[bool, typer.Option(help="Reject any PyTorch compute op in forward")] = False,
    op_policy: Annotated[
        str | None, typer.Option("--op-policy", metavar="POLICY", help=OP_POLICY_HELP)
    ] = None,
    allow_op: Annotated[
        list[str] | None, typer.Option("--allow-op", metavar="OP", help=ALLOW_OP_HELP)
    ] = None,
    device: Annotated[str | None, typer.Option(help=DEVICE_HELP)] = None,
    config: Annotated[Path | None, typer.Option(help=CONFIG_HELP)] = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not record the verdict")] = False,
    db: Annotated[str | None, typer.Option(help=DB_HELP)] = None,
    allow_weak_sandbox: Annotated[bool, typer.Option("--allow-weak-sandbox", help=WEAK_SANDBOX_HELP)] = False,
    repeat: Annotated[int, typer.Option(min=1, max=20, help=REPEAT_HELP)] = 1,
) -> None:
    """Judge one candidate kernel against a PyTorch reference."""
    from kernelwright.integrations.gpumode import is_task_dir

    try:
        cfg = build_config(
            config,
            seeds=seeds,
            fuzz=fuzz,
            timeout=timeout,
            strict=strict or None,
            op_policy=op_policy,
            allow_ops=tuple(allow_op) if allow_op else None,
            device=device,
            allow_weak_sandbox=allow_weak_sandbox or None,
        )
        if is_task_dir(problem):  # a GPU MODE task folder and its submission.py
            input_file(candidate, "submission")
            with spinner(f"judging {candidate.name}", JUDGE_PHASES):
                verdict, body = judge_gpumode(
                    problem, candidate, cfg, open_store_or_spool(no_store, db), repeat
                )
        else:
            input_file(problem, "problem")
            input_file(candidate, "candidate")
            with spinner(f"judging {candidate.name}", JUDGE_PHASES):
                verdict, body = judge_and_record(
                    problem, candidate, cfg, open_store_or_spool(no_store, db), repeat
                )
    except KernelwrightError as exc:
        raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(body) + "\n")
    else:
        console().print(verdict_table(verdict))
        if body.get("record_id"):
            console().print(f"[dim]recorded as {body['record_id']}[/]")
    raise typer.Exit(0 if verdict.accepted else 1)


def judge_gpumode(
    task_dir: Path, submission: Path, config: JudgeConfig, store: Any, repeat: int = 1
) -> tuple[Verdict, dict]:
    """Judge a GPU MODE submission and record it with the generated sources it was judged from."""
    from kernelwright.integrations.gpumode import judge_submission

    verdict, generated = judge_submission(task_dir, submission, config, repeat)
    origin = {"kind": "file", "gpumode_task": str(task_dir.resolve())}
    body = record(store, verdict, generated.problem_source, generated.candidate_source, origin=origin)
    return verdict, body


def guard(
    candidate: Annotated[Path, typer.Argument(help="Candidate file to scan (nothing is run)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as one JSON array")] = False,
) -> None:
    """Run only the static guard on a candidate and list its findings."""
    from kernelwright.guard import scan

    try:
        source = input_file(candidate, "candidate").read_text(encoding="utf-8")
    except KernelwrightError as exc:
        raise fail(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read candidate {candidate}: {exc}") from None
    findings = scan(source, str(candidate))
    if as_json:
        sys.stdout.write(json.dumps([f.model_dump() for f in findings]) + "\n")
    else:
        for f in findings:
            console().print(f"{candidate}:{f.line}: {f.code} [{f.severity}] {f.rule}: {f.message}")
    raise typer.Exit(1 if any(f.severity == "hard" for f in findings) else 0)


def mount(app: typer.Typer) -> None:
    app.command(
        epilog="Exit status: 0 accepted, 1 rejected or skipped, 2 bad invocation.\n\n"
        "Examples: kernelwright verify problem.py model_new.py --json\n\n"
        "kernelwright verify reference-kernels/problems/pmpp_v2/vectoradd_py submission.py"
    )(verify)
    app.command()(guard)
