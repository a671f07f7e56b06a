"""Search and stop conditions, budgets, back-off, prices, redaction: the agent's pure logic."""

from __future__ import annotations

import random

import pytest

from kernelwright.agent.attempt import Attempt
from kernelwright.agent.budget import Budget
from kernelwright.agent.pricing import price_for
from kernelwright.agent.providers.base import Completion, ProviderError
from kernelwright.agent.providers.retry import Retryable, RetryPolicy, call_with_retries
from kernelwright.agent.search import SearchState, Strategy
from kernelwright.agent.taxonomy import Outcome, tally
from kernelwright.secrets import probe_env, redact, redact_obj, safe_url
from kernelwright.verdict import Correctness, Environment, Reason, Timing, Verdict, sha256_text

ENV = Environment(device="cpu", interpreter=True, torch="2", triton="3", python="3.11")


def verdict(
    source: str, category: str | None = None, speedup: float | None = None, roofline: float = 0.3
) -> Verdict:
    timing = None
    if speedup is not None:
        timing = Timing(
            candidate_ms=1.0 / speedup,
            eager_ms=1.0,
            compiled_ms=1.0,
            speedup_vs_eager=speedup,
            speedup_vs_compiled=speedup,
            samples=100,
            spread=0.01,
            roofline_fraction=roofline,
        )
    reasons = (
        []
        if category is None
        else [
            Reason(
                code="KW-O001" if category == "wrong-output" else "KW-X",
                category=category,
                message=f"{category} happened",
            )
        ]
    )
    return Verdict(
        problem="p",
        candidate="c.py",
        candidate_sha256=sha256_text(source),
        verdict="accepted" if category is None else "rejected",
        category=category,
        reasons=reasons,
        correctness=Correctness(),
        timing=timing,
        environment=ENV,
    )


def attempt(
    turn: int,
    category: str | None = None,
    speedup: float | None = None,
    sample: int = 0,
    roofline: float = 0.3,
    parse_error: bool = False,
) -> Attempt:
    src = f"# kernel {turn}.{sample}\nclass ModelNew: pass\n"
    a = Attempt(turn, sample, candidate=None if parse_error else src)
    if parse_error:
        a.parse_error = "cut off"
    else:
        a.verdict = verdict(src, category, speedup, roofline)
    return a


def test_cpu_goal_is_first_accepted() -> None:
    state = SearchState()
    budget = Budget(max_turns=10)
    budget.turns = 1
    state.update([attempt(1, "compile-error")])
    assert state.stop(budget) is None
    state.update([attempt(2)])  # accepted, no timing
    stop = state.stop(budget)
    assert stop is not None and stop.status == "accepted"


def test_target_over_stronger_baseline() -> None:
    state = SearchState(target=1.05)
    state.update([attempt(1, speedup=1.02)])
    assert state.stop(Budget(max_turns=10)) is None
    state.update([attempt(2, speedup=1.2)])
    stop = state.stop(Budget(max_turns=10))
    assert stop is not None and stop.status == "target-reached"


def test_roofline_stop() -> None:
    state = SearchState(target=2.0)
    state.update([attempt(1, speedup=1.01, roofline=0.97)])
    stop = state.stop(Budget(max_turns=10))
    assert stop is not None and stop.status == "roofline"


def test_plateau_after_patience_rounds() -> None:
    state = SearchState(target=5.0, patience=2)
    state.update([attempt(1, speedup=1.01)])
    assert state.stop(Budget(max_turns=10)) is None
    state.update([attempt(2, speedup=0.99)])
    assert state.stop(Budget(max_turns=10)) is None
    state.update([attempt(3, "wrong-output")])
    stop = state.stop(Budget(max_turns=10))
    assert stop is not None and stop.status == "plateau"


def test_budget_statuses() -> None:
    state = SearchState()
    b = Budget(max_turns=2)
    b.turns = 2
    state.update([attempt(1, "wrong-output")])
    stop = state.stop(b)
    assert stop is not None and stop.status == "no-accepted-kernel" and "max-turns" in stop.reason
    tok = Budget(max_turns=10, max_tokens=100)
    tok.charge(80, 30, 0.0)
    assert tok.exhausted() == "max-tokens"
    cost = Budget(max_turns=10, max_cost=0.5)
    cost.charge(1, 1, 0.6)
    assert cost.exhausted() == "max-cost"
    slow = Budget(max_turns=10, max_time=0.001)
    slow.started -= 1
    assert slow.exhausted() == "max-time"
    gpu = SearchState(target=9.0, patience=9)
    gpu.update([attempt(1, speedup=1.5)])
    stop = gpu.stop(b)
    assert stop is not None and stop.status == "budget-exhausted"


def test_fatal_provider_error_stops() -> None:
    state = SearchState()
    a = Attempt(1, 0, provider_error="HTTP 401: bad key", provider_fatal=True)
    state.update([a])
    stop = state.stop(Budget())
    assert stop is not None and stop.status == "provider-error"


def test_refine_reverts_to_best_when_far_worse() -> None:
    state = SearchState(target=9.0, patience=9, revert_ratio=0.8)
    best = attempt(1, speedup=2.0)
    state.update([best])
    state.update([attempt(2, speedup=1.0)])  # accepted but at half the best speed
    plan = state.plans()[0]
    assert plan.reverted and plan.base is best and plan.feedback is not best
    state.update([attempt(3, speedup=1.9)])  # close to the best: iterate on it
    plan = state.plans()[0]
    assert not plan.reverted and plan.base is not best and plan.base.turn == 3


def test_refine_keeps_last_draft_after_a_parse_error() -> None:
    state = SearchState()
    wrong = attempt(1, "wrong-output")
    state.update([wrong])
    state.update([attempt(2, parse_error=True)])
    plan = state.plans()[0]
    assert plan.base is wrong and plan.feedback is not None and plan.feedback.turn == 2


def test_round_feedback_prefers_closest_candidate() -> None:
    state = SearchState(samples=3)
    state.update(
        [
            attempt(1, "compile-error", sample=0),
            attempt(1, "wrong-output", sample=1),
            attempt(1, "reference-passthrough", sample=2),
        ]
    )
    assert state.feedback is not None and state.feedback.sample == 1
    assert len(state.plans()) == 3


def test_evolve_uses_two_parents() -> None:
    state = SearchState(strategy=Strategy.EVOLVE, samples=3, target=9.0, patience=9)
    state.update(
        [
            attempt(1, speedup=1.2, sample=0),
            attempt(1, speedup=1.4, sample=1),
            attempt(1, speedup=1.1, sample=2),
        ]
    )
    plans = state.plans()
    assert len(plans) == 3
    assert all(len(p.parents) == 2 for p in plans)
    assert plans[0].parents[0].speedup == 1.4 and plans[0].parents[1].speedup == 1.2
    assert [p.speedup for p in plans[1].parents] == [1.4, 1.1]
    assert [p.speedup for p in plans[2].parents] == [1.2, 1.1]


def test_best_of_n_does_not_show_failed_drafts() -> None:
    state = SearchState(strategy=Strategy.BEST_OF_N, samples=2)
    state.update([attempt(1, "wrong-output"), attempt(1, "compile-error", sample=1)])
    plans = state.plans()
    assert len(plans) == 2 and all(p.base is None for p in plans)


def test_taxonomy_counts() -> None:
    attempts = [
        attempt(1, "wrong-output"),
        attempt(2, "reference-passthrough"),
        attempt(3, parse_error=True),
        Attempt(4, 0, provider_error="x"),
        attempt(5, speedup=0.5),
        attempt(6),
    ]
    outcomes = [a.outcome for a in attempts]
    assert outcomes == [
        Outcome.WRONG_OUTPUT,
        Outcome.PASSTHROUGH,
        Outcome.PARSE_ERROR,
        Outcome.PROVIDER_ERROR,
        Outcome.SLOWER,
        Outcome.ACCEPTED,
    ]
    counts = tally([str(o) for o in outcomes], [a.codes for a in attempts])
    assert counts["failures"] == {
        "parse-error": 1,
        "passthrough": 1,
        "provider-error": 1,
        "slower-than-baseline": 1,
        "wrong-output": 1,
    }
    assert counts["wrong_output_codes"] == {"KW-O001": 1}


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(max_retries=5, base_delay=1.0, max_delay=10.0, jitter=0.5)
    rng = random.Random(0)
    delays = [policy.delay(n, rng=rng) for n in range(6)]
    assert all(0.5 * min(10, 2**n) <= d <= min(10, 2**n) for n, d in enumerate(delays))
    assert policy.delay(0, retry_after=7.0, rng=rng) >= 7.0
    assert policy.delay(0, retry_after=99.0, rng=rng) <= 10.0


def test_call_with_retries_counts_and_gives_up() -> None:
    calls = []

    def flaky() -> Completion:
        calls.append(1)
        if len(calls) < 3:
            raise Retryable(f"HTTP 429 #{len(calls)}")
        return Completion(text="ok")

    slept: list[float] = []
    out = call_with_retries(flaky, RetryPolicy(max_retries=5, base_delay=0.01), sleep=slept.append)
    assert out.text == "ok" and out.retries == 2 and len(out.errors) == 2 and len(slept) == 2

    def always() -> Completion:
        raise Retryable("HTTP 500")

    with pytest.raises(ProviderError) as info:
        call_with_retries(always, RetryPolicy(max_retries=2, base_delay=0.0), sleep=lambda s: None)
    assert info.value.retries == 2 and len(info.value.errors) == 3 and not info.value.fatal


def test_prices() -> None:
    p = price_for("gpt-4o-2024-08-06")
    assert p.known and p.input_per_m == 2.5 and p.output_per_m == 10.0
    assert p.cost(1_000_000, 100_000) == pytest.approx(3.5)
    assert price_for("gpt-4o-mini").input_per_m == 0.15  # longest prefix wins
    local = price_for("qwen3-32b")
    assert not local.known and local.cost(10**6, 10**6) == 0
    over = price_for("qwen3-32b", price_in=1.0, price_out=2.0)
    assert over.known and over.cost(10**6, 10**6) == pytest.approx(3.0)


def test_redaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-DO-NOT-LEAK-123")
    assert "DO-NOT-LEAK" not in redact("key sk-test-DO-NOT-LEAK-123 in an error")
    assert "abcdefghijkl" not in redact("Authorization: Bearer abcdefghijkl")
    assert redact_obj({"a": ["sk-test-DO-NOT-LEAK-123"]}) == {"a": ["[redacted]"]}
    assert safe_url("https://user:pw@host:8000/v1?key=abc") == "https://host:8000/v1"
    assert "OPENAI_API_KEY" not in probe_env()
