"""One optimisation session: prompt -> provider -> parse -> judge -> feedback, round after round.

Each round asks for `samples` candidates in parallel threads (each judge call isolates the candidate
in its own processes). On a GPU candidates are judged one at a time by default, because two kernels
timed on one card at once skew each other's numbers. After every round the trajectory gains one line
per sample, each verdict is signed into the store, and the search decides whether to stop.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kernelwright.agent.attempt import Attempt
from kernelwright.agent.budget import Budget
from kernelwright.agent.config import AgentConfig
from kernelwright.agent.feedback import CaseInputs
from kernelwright.agent.outputs import RunFolder
from kernelwright.agent.parsing import extract_candidate
from kernelwright.agent.pricing import price_for
from kernelwright.agent.prompting import PromptContext, build_messages
from kernelwright.agent.providers import Provider, ProviderError, RecordingProvider, create_provider
from kernelwright.agent.search import Plan, SearchState, Stop
from kernelwright.agent.taxonomy import CHEATS, HINTS, tally
from kernelwright.errors import BadInput, ProblemError
from kernelwright.judge import JudgeConfig, judge
from kernelwright.problem import ProblemSpec, load_problem
from kernelwright.secrets import redact, safe_url
from kernelwright.store.api import VerdictStore
from kernelwright.tasks.describe import FUZZ_SEEDS, HardwareCard, TaskInfo, shape_text
from kernelwright.verdict import Verdict

SUMMARY_SCHEMA = "kernelwright.agent-run/1"
JudgeFn = Callable[[ProblemSpec, Path, JudgeConfig], Verdict]
Listener = Callable[[str, Any], None]  # ("attempt", Attempt) | ("round", int) | ("note", str)


def _launches(a: Attempt) -> int:
    c = a.verdict.correctness if a.verdict is not None else None
    return c.custom_launches if c is not None else 0


def describe_for_prompt(spec: ProblemSpec, device: str, fuzz: int) -> tuple[TaskInfo, HardwareCard]:
    """`tasks.describe.describe` with `fuzz` fuzz seeds described (one probe, in a subprocess).

    Raises ProblemError when the problem file does not load; anything less becomes a note.
    """
    from kernelwright.tasks.describe import describe

    return describe(spec, device, fuzz)


@dataclass
class SessionResult:
    summary: dict[str, Any]
    best: Attempt | None
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.best is not None else 1


class Session:
    """Runs `optimize` for one problem. `store` may be None (`--no-store`)."""

    def __init__(
        self,
        problem: Path,
        out: Path,
        config: AgentConfig,
        judge_config: JudgeConfig,
        store: VerdictStore | None = None,
        *,
        provider: Provider | None = None,
        judge_fn: JudgeFn | None = None,
        listener: Listener | None = None,
        executor: Any = None,
    ) -> None:
        """`judge_fn` replaces the judge (tests); `executor` is a `suite.executors` judge shared with
        other sessions (optimize-suite), else the session makes its own from `config.executor`."""
        self.spec = load_problem(problem)  # bad input (exit 2) before anything is spent
        self.config = config
        self.judge_config = judge_config
        self.store = store
        self.listener = listener or (lambda kind, payload: None)
        self._executor: Any = executor
        self._owns_executor = False
        self.judge_fn = judge_fn or self._executor_judge(config)
        if provider is None:  # a dead server is one line and exit 2, before any judging
            from kernelwright.agent.providers.preflight import check_reachable

            check_reachable(config.provider, config.base_url)
        self.provider = provider or create_provider(config.provider, config.provider_settings())
        if config.record:
            self.provider = RecordingProvider(
                self.provider,
                Path(config.record),
                {
                    "problem": self.spec.id,
                    "problem_sha256": self.spec.sha256,
                    "strategy": str(config.strategy),
                    "samples": config.samples,
                    "base_url": config.base_url,
                },
            )
        self.model = self.provider.model
        self.price = price_for(self.model, config.price_in, config.price_out)
        self.folder = RunFolder(out)
        self.budget = Budget(config.max_turns, config.max_tokens, config.max_cost, config.max_time)
        self.state = SearchState(
            config.strategy,
            config.samples,
            config.target,
            config.patience,
            config.roofline_goal,
            config.revert_ratio,
        )
        self.notes: list[str] = []
        self.run_id: str | None = None
        self._store_lock = threading.Lock()
        self._store_failed = False
        self._family: str | None = None

    # ------------------------------------------------------------------ setup
    def _executor_judge(self, config: AgentConfig) -> JudgeFn:
        """The judge of `suite run`'s executors (local pool or Ray): one `judge()` wherever it runs."""
        from kernelwright.suite.runner import Item

        if self._executor is None:
            if config.executor == "local":
                return lambda spec, cand, cfg: judge(spec, cand, cfg)
            from kernelwright.suite.executors import make_judge_fn

            self._executor, self._owns_executor = make_judge_fn(config.executor, config.ray_address), True
        fn = self._executor
        return lambda spec, cand, cfg: fn(Item(spec, Path(cand)), cfg)

    def judge_jobs(self, interpreter: bool) -> int:
        """Candidates judged at once: all samples, on the CPU interpreter (nothing is timed), on Ray
        (one GPU per judgement) and on a local GPU, where timing phases queue for the card
        (judge/gpu_lock.py) so two kernels are never timed at once."""
        if self.config.judge_jobs:
            return self.config.judge_jobs
        # A local GPU too: correctness work shares the card and timing takes it alone (judge/gpu_lock.py).
        return self.config.samples

    def _warm_workers(self, ctx: Any) -> contextlib.ExitStack:
        """Judged in this process: pre-started candidate workers (one per concurrent judgement) and
        this problem's reference kept warm between rounds (judge/pool.py); the caller closes it. With
        Ray or a test's judge nothing starts: the pool starts workers only when judge() asks."""
        from kernelwright.judge.pool import use_pool

        stack = contextlib.ExitStack()
        stack.enter_context(use_pool(spares=self.judge_jobs(ctx.hardware.interpreter), references=2))
        return stack

    def _here(self) -> Any:
        """The environment this session's verdicts will carry, for environment-aware retrieval."""
        from kernelwright import environment

        env = environment.current()
        if self.judge_config.device == "cpu" and not env.interpreter:
            env = env.model_copy(
                update={"device": "cpu", "interpreter": True, "cuda": None, "driver": None, "gpu_count": 0}
            )
        return env

    def _note(self, text: str) -> None:
        text = redact(text)
        self.notes.append(text)
        self.listener("note", text)

    def _context(self) -> PromptContext:
        # Every case label the judge can name: on the CPU, benchmark seeds become extra fuzz cases.
        n_cases = max(FUZZ_SEEDS, self.judge_config.fuzz + self.judge_config.seeds)
        task, card = describe_for_prompt(self.spec, self.judge_config.device, n_cases)
        cases = CaseInputs.from_task(shape_text(task.inputs), [shape_text(f) for f in task.fuzz])
        task.fuzz = task.fuzz[:FUZZ_SEEDS]  # the prompt shows examples; the lookup keeps them all
        ctx = PromptContext(
            task=task,
            hardware=card,
            target=self.config.target,
            max_turns=self.config.max_turns,
            cases=cases,
        )
        if self.store is not None:
            self._knowledge(ctx, self.store)
        return ctx

    def _knowledge(self, ctx: PromptContext, store: VerdictStore) -> None:
        """Verified kernels for similar problems and lessons; a failure here only costs the hints."""
        try:
            from kernelwright.knowledge import KnowledgeBase

            kb = KnowledgeBase(store)
            if self.config.knowledge:
                entries = kb.retrieve(
                    str(self.spec.path),
                    k=self.config.knowledge,
                    environment=self._here(),
                    # this problem's own accepted kernels are the answer, not a hint (--allow-same-problem)
                    exclude_same_problem=not self.config.allow_same_problem,
                    min_score=self.config.knowledge_min_score,
                )
                for e in entries:
                    numbers = (
                        "accepted, not timed"
                        if e.speedup is None
                        else f"{e.speedup:.2f}x over the stronger baseline"
                    )
                    hint = (
                        "verified on another machine or toolchain: a hint, judge it again here"
                        if e.needs_reverify
                        else ""
                    )
                    ctx.knowledge.append(
                        {
                            "problem": e.problem,
                            "score": e.score,
                            "numbers": numbers,
                            "hint": hint,
                            "source": e.kernel_source.rstrip() + "\n",
                        }
                    )
            if store.lessons([], limit=1):
                family = self._op_family(kb)
                ctx.lessons = [{"kind": x.kind, "text": x.text} for x in kb.lessons([family], limit=8)]
        except Exception as exc:  # noqa: BLE001 - knowledge is optional; say why it is missing
            self._note(f"knowledge base unavailable: {type(exc).__name__}: {exc}")

    def _op_family(self, kb: Any) -> str:
        if self._family is None:
            self._family = kb.signature(self.spec.path).family
        return self._family

    # ------------------------------------------------------------------ one sample
    def _sample(
        self, ctx: PromptContext, turn: int, sample: int, plan: Plan, judge_slots: threading.Semaphore
    ) -> Attempt:
        started = time.monotonic()
        a = Attempt(
            turn,
            sample,
            parents=[p.sha256 for p in ([plan.base] if plan.base else []) + plan.parents if p.sha256],
        )
        a.messages = build_messages(ctx, plan, self.state.attempts, self.state.best, turn)
        try:
            reply = self.provider.complete(a.messages, request_id=a.request_id)
        except ProviderError as exc:
            a.provider_error, a.provider_fatal = redact(str(exc)), exc.fatal
            a.retries, a.retry_errors = exc.retries, [redact(e) for e in exc.errors]
            self.budget.charge(0, 0, 0.0, exc.retries)
            a.seconds = time.monotonic() - started
            return a
        a.reply, a.finish_reason = reply.text, reply.finish_reason
        a.tokens_in, a.tokens_out, a.cost = (
            reply.tokens_in,
            reply.tokens_out,
            self.price.cost(reply.tokens_in, reply.tokens_out),
        )
        a.retries, a.retry_errors, a.llm_seconds = (
            reply.retries,
            [redact(e) for e in reply.errors],
            reply.seconds,
        )
        self.budget.charge(a.tokens_in, a.tokens_out, a.cost, a.retries)
        parsed = extract_candidate(reply.text, truncated=reply.truncated)
        a.candidate, a.parse_error, a.parse_note = parsed.source, parsed.error, parsed.note
        if parsed.ok:
            path = self.folder.candidate_file(a)
            judged = time.monotonic()
            with judge_slots:
                try:
                    a.verdict = self.judge_fn(self.spec, path, self.judge_config)
                except ProblemError as exc:  # the reference failed: no candidate can pass, stop the run
                    a.judge_error, a.judge_fatal = str(exc), True
                except Exception as exc:  # noqa: BLE001 - a judge failure costs this candidate, not the run
                    a.judge_error = redact(f"{type(exc).__name__}: {exc}")
            a.judge_seconds = time.monotonic() - judged
        a.seconds = time.monotonic() - started
        return a

    def _round(self, ctx: PromptContext, turn: int) -> list[Attempt]:
        plans = self.state.plans()
        slots = threading.Semaphore(self.judge_jobs(ctx.hardware.interpreter))
        if len(plans) == 1:
            return [self._sample(ctx, turn, 0, plans[0], slots)]
        with ThreadPoolExecutor(max_workers=len(plans), thread_name_prefix="kw-sample") as pool:
            futures = [pool.submit(self._sample, ctx, turn, i, p, slots) for i, p in enumerate(plans)]
            return [f.result() for f in futures]

    # ------------------------------------------------------------------ store
    def _record(self, a: Attempt) -> None:
        if self.store is None or a.verdict is None or a.candidate is None or self._store_failed:
            return
        origin = {
            "kind": "agent",
            "model": self.model,
            "provider": self.provider.name,
            "run_id": self.run_id,
            "turn": a.turn,
            "sample": a.sample,
            "strategy": str(self.config.strategy),
            "parent": a.parents[0] if a.parents else None,
        }
        try:
            with self._store_lock:
                rec = self.store.record_verdict(
                    a.verdict,
                    problem_source=self.spec.source,
                    candidate_source=a.candidate,
                    origin=origin,
                    run_id=self.run_id,
                    item_key=f"{self.spec.id}::{a.request_id}",
                )
            a.record_id = rec.record_id
        except Exception as exc:  # noqa: BLE001 - a store outage must not lose the search; said once
            self._store_failed = True
            self._note(f"store write failed, not recording further verdicts: {type(exc).__name__}: {exc}")

    def _start_run(self) -> None:
        if self.store is None:
            return
        config = {
            "problem": self.spec.id,
            "problem_path": str(self.spec.path),
            "agent": self.config.public_dump(),
            "judge": self.judge_config.model_dump(mode="json"),
        }
        self.run_id = self.store.start_run("optimize", config, budgets=self.budget.limits())

    def _performance_lessons(self) -> list[str]:
        """`try` lessons from accepted pairs: what a faster accepted child changed in its accepted parent."""
        from kernelwright.knowledge.lessons import performance_lesson

        by_sha = {a.sha256: a for a in self.state.attempts if a.accepted and a.candidate}
        out: list[str] = []
        for child in by_sha.values():
            for parent_sha in child.parents:
                parent = by_sha.get(parent_sha)
                if parent is None or parent is child or parent.candidate is None or child.candidate is None:
                    continue
                lesson = performance_lesson(
                    parent.candidate,
                    child.candidate,
                    parent.speedup,
                    child.speedup,
                    slow_launches=_launches(parent),
                    fast_launches=_launches(child),
                )
                if lesson:
                    out.append(lesson)
        return list(dict.fromkeys(out))[:3]

    def _lessons(self) -> None:
        """Lessons for this op family (idempotent): cheats the judge caught become `avoid` lines, and
        what made an accepted kernel faster than its accepted parent becomes a `try` line."""
        cheats = sorted({a.outcome for a in self.state.attempts if a.outcome in CHEATS})
        if self.store is None or self._store_failed:
            return
        try:
            faster = self._performance_lessons()
            if not cheats and not faster:
                return
            from kernelwright.knowledge import KnowledgeBase

            kb = KnowledgeBase(self.store)
            family = self._op_family(kb)
            source = f"agent run {self.run_id}"
            for outcome in cheats:
                kb.add_lesson(family, "avoid", f"{outcome}: {HINTS[outcome]}", source=source)
            for text in faster:
                kb.add_lesson(family, "try", f"{self.spec.id}: {text}", source=source)
        except Exception as exc:  # noqa: BLE001 - lessons are a bonus
            self._note(f"could not store lessons: {type(exc).__name__}: {exc}")

    # ------------------------------------------------------------------ run
    def run(self) -> SessionResult:
        started = time.monotonic()
        ctx = self._context()  # a broken problem is bad input here, before a run or a token is spent
        self._start_run()
        stop: Stop | None = None
        bad_problem: str | None = None
        warm = self._warm_workers(ctx)
        try:
            while stop is None:
                self.budget.turns += 1
                turn = self.budget.turns
                self.listener("round", turn)
                attempts = self._round(ctx, turn)
                for a in attempts:
                    self._record(a)
                    self.listener("attempt", a)
                self.folder.append(attempts)
                self.state.update(attempts)
                bad_problem = next((a.judge_error for a in attempts if a.judge_fatal), None)
                if bad_problem:
                    stop = Stop("bad-problem", bad_problem)
                    break
                ctx.hardware.refresh_ceilings()
                stop = self.state.stop(self.budget)
        except KeyboardInterrupt:  # keep what was found: best.py and the summary are still written
            stop = Stop("interrupted", "stopped by the user (Ctrl-C)")
        finally:
            warm.close()
        summary = self._finish(stop, started)
        close = getattr(self._executor, "close", None)
        if self._owns_executor and close is not None:
            close()
        if bad_problem and self.state.best is None:
            raise BadInput(bad_problem)
        return SessionResult(summary, self.state.best, self.state.attempts)

    def _finish(self, stop: Stop, started: float) -> dict[str, Any]:
        best = self.state.best
        if best is not None and best.candidate is not None:
            self.folder.write_best(best.candidate)
        attempts = self.state.attempts
        counts = tally([str(a.outcome) for a in attempts], [a.codes for a in attempts])
        summary: dict[str, Any] = {
            "schema": SUMMARY_SCHEMA,
            "status": stop.status,
            "stop_reason": stop.reason,
            "problem": self.spec.id,
            "problem_path": str(self.spec.path),
            "provider": self.provider.name,
            "model": self.model,
            "base_url": safe_url(self.config.base_url),
            "strategy": str(self.config.strategy),
            "samples": self.config.samples,
            "turns": self.budget.turns,
            "attempts": len(attempts),
            "accepted_attempts": sum(1 for a in attempts if a.accepted),
            "best": self._best_json(best),
            "tokens": {
                "in": self.budget.tokens_in,
                "out": self.budget.tokens_out,
                "total": self.budget.tokens,
            },
            "cost_usd": round(self.budget.cost, 6),
            "priced": self.price.known,
            "price_per_million": {"input": self.price.input_per_m, "output": self.price.output_per_m},
            "retries": self.budget.retries,
            "provider_errors": counts["failures"].get("provider-error", 0),
            **counts,
            "seconds": round(time.monotonic() - started, 3),
            "run_id": self.run_id,
            "budgets": self.budget.limits(),
            "target": self.config.target,
            "judge": self.judge_config.model_dump(mode="json"),
            "config": self.config.public_dump(),
            "notes": self.notes,
        }
        replay = getattr(self.provider, "divergences", None)
        if replay is not None:
            summary["replay"] = {
                "dir": self.config.replay,
                "served": getattr(self.provider, "served", 0),
                "diverged": list(replay),
            }
        if self.config.record:
            summary["recorded_to"] = self.config.record
        self.folder.write_summary(summary)
        if self.store is not None and self.run_id:
            try:
                self._lessons()
                self.store.update_run_usage(self.run_id, self.budget.tokens, self.budget.cost)
                self.store.finish_run(self.run_id, summary)
            except Exception as exc:  # noqa: BLE001 - the run folder already holds the result
                self._note(f"store update failed: {type(exc).__name__}: {exc}")
        return summary

    @staticmethod
    def _best_json(best: Attempt | None) -> dict[str, Any] | None:
        if best is None or best.verdict is None:
            return None
        return {
            "turn": best.turn,
            "sample": best.sample,
            "request_id": best.request_id,
            "path": "best.py",
            "candidate_sha256": best.sha256,
            "speedup": best.speedup,
            "record_id": best.record_id,
            "verdict": best.verdict.to_json_dict(),
        }
