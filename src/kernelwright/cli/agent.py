"""`kernelwright optimize` and `kernelwright optimize-suite`: the agent loop's commands.

Exit status of `optimize`: 0 when an accepted kernel was found (`OUT/best.py`), 1 otherwise, 2 bad
input (missing problem, unknown provider, malformed config, missing key), with one line on stderr.
`optimize-suite`: 0 when every problem got an accepted kernel, 1 otherwise, 2 bad input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from kernelwright.cli.common import fail, input_dir, input_file, open_store
from kernelwright.cli.verify import WEAK_SANDBOX_HELP
from kernelwright.errors import KernelwrightError

EXAMPLES = """

\b
Examples:
  kernelwright optimize src/kernelwright/problems/level1/relu.py --provider openai --model gpt-4.1 --out runs/relu
  kernelwright optimize PROBLEM.py --provider openai --base-url http://localhost:8000/v1 --model Qwen/Qwen3-32B \\
      --samples 4 --strategy best-of-n --max-turns 8 --out runs/x
  kernelwright optimize PROBLEM.py --provider anthropic --model claude-sonnet-4-5 --max-cost 2 --out runs/y
  kernelwright optimize src/kernelwright/problems/level1/relu.py --provider replay --replay recordings/relu-demo --out /tmp/x
  kernelwright optimize-suite src/kernelwright/problems/level1 --provider openai --model gpt-4.1 --out runs/suite
"""

Opt = typer.Option


def _common(config: Path | None, judge: dict[str, Any], agent: dict[str, Any]) -> tuple[Any, Any]:
    from kernelwright.agent.config import build_agent_config
    from kernelwright.cli.common import build_config
    from kernelwright.settings import max_worker_memory_mb

    agent_cfg, judge_cfg = build_agent_config(config, **agent), build_config(config, **judge)
    if judge_cfg.memory_limit_mb is None:
        # Up to `judge_jobs` (default: `samples`) candidates are judged at once: each gets its share
        # of this machine's memory (issue 17 #7).
        jobs = agent_cfg.judge_jobs or agent_cfg.samples
        judge_cfg = judge_cfg.model_copy(update={"memory_limit_mb": max_worker_memory_mb(jobs)})
    return agent_cfg, judge_cfg


# Options shared by both commands (typer needs them spelled out per function).
ProviderOpt = Annotated[str | None, Opt("--provider", help="openai | anthropic | replay (default openai)")]
ModelOpt = Annotated[str | None, Opt("--model", help="Model name as the server knows it")]
BaseUrlOpt = Annotated[
    str | None,
    Opt(
        "--base-url",
        help="OpenAI-compatible /v1 URL (vLLM, SGLang, Ollama, llama.cpp) or another Anthropic host",
    ),
]
StrategyOpt = Annotated[str | None, Opt("--strategy", help="refine | best-of-n | evolve (default refine)")]
SamplesOpt = Annotated[
    int | None, Opt("--samples", help="Candidates per round, judged in parallel (default 1)")
]
TurnsOpt = Annotated[int | None, Opt("--max-turns", help="Rounds at most (default 10)")]
TokensOpt = Annotated[int | None, Opt("--max-tokens", help="Stop after this many tokens (in + out)")]
CostOpt = Annotated[float | None, Opt("--max-cost", help="Stop after this many USD")]
TimeOpt = Annotated[float | None, Opt("--max-time", help="Stop after this many seconds")]
TargetOpt = Annotated[
    float | None, Opt("--target", help="Speedup over the stronger baseline to stop at (1.05)")
]
PatienceOpt = Annotated[int | None, Opt("--patience", help="Rounds without improvement before stopping (3)")]
TempOpt = Annotated[float | None, Opt("--temperature", help="Sampling temperature (server default if unset)")]
OutTokOpt = Annotated[
    int | None, Opt("--max-output-tokens", help="Reply length limit per request, thinking included (32768)")
]
EffortOpt = Annotated[
    str | None,
    Opt("--reasoning-effort", help="OpenAI-protocol reasoning models: minimal | low | medium | high"),
]
ThinkOpt = Annotated[
    int | None, Opt("--thinking-budget", help="Anthropic extended thinking: budget in tokens (>= 1024)")
]
SameOpt = Annotated[
    bool,
    Opt(
        "--allow-same-problem",
        help="Let the knowledge base retrieve kernels accepted for this very problem (off: they leak the answer)",
    ),
]
ExecutorOpt = Annotated[
    str | None, Opt("--executor", help="Where candidates are judged: local (default) | ray, as `suite run`")
]
RayAddressOpt = Annotated[
    str | None, Opt("--ray-address", help="Ray cluster for --executor ray (default: start a local one)")
]
RetriesOpt = Annotated[int | None, Opt("--max-retries", help="Retries on 429/5xx/timeouts (5)")]
DelayOpt = Annotated[float | None, Opt("--retry-delay", help="First back-off delay in seconds (1.0)")]
PriceInOpt = Annotated[
    float | None, Opt("--price-in", help="USD per million input tokens (overrides prices.toml)")
]
PriceOutOpt = Annotated[float | None, Opt("--price-out", help="USD per million output tokens")]
RecordOpt = Annotated[str | None, Opt("--record", help="Record every request and reply into this folder")]
ReplayOpt = Annotated[
    str | None, Opt("--replay", help="Replay a recorded session (implies --provider replay)")
]
NoStreamOpt = Annotated[bool, Opt("--no-stream", help="Ask for whole replies instead of streaming")]
KnowOpt = Annotated[
    int | None, Opt("--knowledge", help="Verified kernels retrieved into the prompt (3; 0: none)")
]
JobsOpt = Annotated[
    int | None, Opt("--judge-jobs", help="Candidates judged at once (default: samples on CPU, 1 on GPU)")
]
SeedsOpt = Annotated[int | None, Opt("--seeds", help="Judge: benchmark-size seeds (default 5)")]
FuzzOpt = Annotated[int | None, Opt("--fuzz", help="Judge: fuzz cases (default 8)")]
DeviceOpt = Annotated[str | None, Opt("--device", help="Judge: auto | cpu | cuda")]
ConfigOpt = Annotated[Path | None, Opt("--config", help="TOML file with [agent] and [judge] tables")]
NoStoreOpt = Annotated[bool, Opt("--no-store", help="Do not record runs and verdicts in the store")]
DbOpt = Annotated[str | None, Opt("--db", help="SQLAlchemy URL (default: KERNELWRIGHT_DB or SQLite)")]
JsonOpt = Annotated[bool, Opt("--json", help="Print the summary as one JSON object")]
WeakSandboxOpt = Annotated[bool, Opt("--allow-weak-sandbox", help=WEAK_SANDBOX_HELP)]


def optimize(
    problem: Annotated[Path, typer.Argument(help="KernelBench-format problem file")],
    out: Annotated[Path, Opt("--out", help="Run folder: best.py, trajectory.jsonl, summary.json")] = Path(
        "kw-run"
    ),
    provider: ProviderOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    strategy: StrategyOpt = None,
    samples: SamplesOpt = None,
    max_turns: TurnsOpt = None,
    max_tokens: TokensOpt = None,
    max_cost: CostOpt = None,
    max_time: TimeOpt = None,
    target: TargetOpt = None,
    patience: PatienceOpt = None,
    temperature: TempOpt = None,
    max_output_tokens: OutTokOpt = None,
    reasoning_effort: EffortOpt = None,
    thinking_budget: ThinkOpt = None,
    max_retries: RetriesOpt = None,
    retry_delay: DelayOpt = None,
    price_in: PriceInOpt = None,
    price_out: PriceOutOpt = None,
    record: RecordOpt = None,
    replay: ReplayOpt = None,
    no_stream: NoStreamOpt = False,
    knowledge: KnowOpt = None,
    allow_same_problem: SameOpt = False,
    judge_jobs: JobsOpt = None,
    executor: ExecutorOpt = None,
    ray_address: RayAddressOpt = None,
    seeds: SeedsOpt = None,
    fuzz: FuzzOpt = None,
    device: DeviceOpt = None,
    config: ConfigOpt = None,
    no_store: NoStoreOpt = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    allow_weak_sandbox: WeakSandboxOpt = False,
) -> None:
    """Drive an LLM to write a kernel for PROBLEM; judge every candidate; keep the best accepted one."""
    from kernelwright.agent.loop import Session
    from kernelwright.agent.report import attempt_line, summary_table
    from kernelwright.cli.render import console

    err = console(stderr=True)

    def listener(kind: str, payload: Any) -> None:
        if kind == "attempt":
            err.print(attempt_line(payload))
        elif kind == "round":
            err.print(f"[bold]round {payload}[/]")
        elif kind == "note":
            err.print(f"[yellow]note:[/] {payload}", markup=True)

    try:
        agent_cfg, judge_cfg = _common(
            config,
            {
                "seeds": seeds,
                "fuzz": fuzz,
                "device": device,
                "allow_weak_sandbox": allow_weak_sandbox or None,
            },
            {
                "provider": provider,
                "model": model,
                "base_url": base_url,
                "strategy": strategy,
                "samples": samples,
                "max_turns": max_turns,
                "max_tokens": max_tokens,
                "max_cost": max_cost,
                "max_time": max_time,
                "target": target,
                "patience": patience,
                "temperature": temperature,
                "max_output_tokens": max_output_tokens,
                "reasoning_effort": reasoning_effort,
                "thinking_budget": thinking_budget,
                "max_retries": max_retries,
                "retry_base_delay": retry_delay,
                "price_in": price_in,
                "price_out": price_out,
                "record": record,
                "replay": replay,
                "stream": False if no_stream else None,
                "knowledge": knowledge,
                "allow_same_problem": allow_same_problem or None,
                "judge_jobs": judge_jobs,
                "executor": executor,
                "ray_address": ray_address,
            },
        )
        input_file(problem, "problem file")
        store = open_store(no_store, db)
        session = Session(problem, out, agent_cfg, judge_cfg, store, listener=listener)
        err.print(
            f"[dim]optimizing {session.spec.id} with {session.provider.name}:{session.model} -> {out}[/]"
        )
        result = session.run()
    except KernelwrightError as exc:
        raise fail(str(exc)) from None
    if as_json:
        from kernelwright.secrets import redact_obj

        sys.stdout.write(json.dumps(redact_obj(result.summary)) + "\n")
    else:
        console().print(summary_table(result.summary))
    raise typer.Exit(result.exit_code)


def optimize_suite(
    problems_dir: Annotated[
        Path, typer.Argument(help="Problems in KernelBench layout (level folders allowed)")
    ],
    out: Annotated[Path, Opt("--out", help="One run folder per problem, plus suite_summary.json")] = Path(
        "kw-suite"
    ),
    provider: ProviderOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    strategy: StrategyOpt = None,
    samples: SamplesOpt = None,
    max_turns: TurnsOpt = None,
    max_tokens: TokensOpt = None,
    max_cost: CostOpt = None,
    max_time: TimeOpt = None,
    target: TargetOpt = None,
    patience: PatienceOpt = None,
    temperature: TempOpt = None,
    max_output_tokens: OutTokOpt = None,
    reasoning_effort: EffortOpt = None,
    thinking_budget: ThinkOpt = None,
    max_retries: RetriesOpt = None,
    retry_delay: DelayOpt = None,
    price_in: PriceInOpt = None,
    price_out: PriceOutOpt = None,
    record: RecordOpt = None,
    replay: ReplayOpt = None,
    no_stream: NoStreamOpt = False,
    knowledge: KnowOpt = None,
    allow_same_problem: SameOpt = False,
    judge_jobs: JobsOpt = None,
    executor: ExecutorOpt = None,
    ray_address: RayAddressOpt = None,
    seeds: SeedsOpt = None,
    fuzz: FuzzOpt = None,
    device: DeviceOpt = None,
    config: ConfigOpt = None,
    no_store: NoStoreOpt = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    allow_weak_sandbox: WeakSandboxOpt = False,
    problem_jobs: Annotated[
        int, Opt("--problem-jobs", min=1, help="Problems optimised at once (default 1)")
    ] = 1,
) -> None:
    """Run `optimize` on every problem of a folder; print a fast_p table and the failure taxonomy.

    Budgets (--max-turns, --max-tokens, --max-cost, --max-time) apply per problem. With --record or
    --replay, each problem uses the subfolder named after its id (slashes as "__").
    """
    from kernelwright.agent.report import suite_table
    from kernelwright.agent.suite_run import run_suite
    from kernelwright.cli.render import console

    try:
        agent_cfg, judge_cfg = _common(
            config,
            {
                "seeds": seeds,
                "fuzz": fuzz,
                "device": device,
                "allow_weak_sandbox": allow_weak_sandbox or None,
            },
            {
                "provider": provider,
                "model": model,
                "base_url": base_url,
                "strategy": strategy,
                "samples": samples,
                "max_turns": max_turns,
                "max_tokens": max_tokens,
                "max_cost": max_cost,
                "max_time": max_time,
                "target": target,
                "patience": patience,
                "temperature": temperature,
                "max_output_tokens": max_output_tokens,
                "reasoning_effort": reasoning_effort,
                "thinking_budget": thinking_budget,
                "max_retries": max_retries,
                "retry_base_delay": retry_delay,
                "price_in": price_in,
                "price_out": price_out,
                "record": record,
                "replay": replay,
                "stream": False if no_stream else None,
                "knowledge": knowledge,
                "allow_same_problem": allow_same_problem or None,
                "judge_jobs": judge_jobs,
                "executor": executor,
                "ray_address": ray_address,
            },
        )
        input_dir(problems_dir, "problems directory")
        store = open_store(no_store, db)
        rows, summary = run_suite(
            problems_dir, out, agent_cfg, judge_cfg, store, console(stderr=True), problem_jobs=problem_jobs
        )
    except KernelwrightError as exc:
        raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(json.loads((out / "suite_summary.json").read_text())) + "\n")
    else:
        for table in suite_table(rows, summary):
            console().print(table)
    solved_all = bool(rows) and summary["solved"] == len(rows)
    raise typer.Exit(0 if solved_all else 1)


def mount(app: typer.Typer) -> None:
    """Register the agent commands on the main app."""
    app.command(
        "optimize", epilog="Exit status: 0 an accepted kernel was found, 1 none, 2 bad input." + EXAMPLES
    )(optimize)
    app.command("optimize-suite", epilog="Exit status: 0 every problem solved, 1 otherwise, 2 bad input.")(
        optimize_suite
    )
