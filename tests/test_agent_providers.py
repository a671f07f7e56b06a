"""Providers against local servers that speak the real OpenAI and Anthropic wire protocols."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes.llm_server import FakeLLMServer

from kernelwright.agent.providers import ProviderError, ProviderSettings, RecordingProvider, create_provider
from kernelwright.errors import BadInput

KEY = "sk-test-DO-NOT-LEAK-123"
MESSAGES = [{"role": "system", "content": "You write kernels."}, {"role": "user", "content": "Write a ReLU."}]
TEXT = "Plan.\n```python\nclass ModelNew: pass\n```\n" * 5


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)


def provider(kind: str, server: FakeLLMServer, **kw: object):
    settings = ProviderSettings(model=server.model, base_url=server.base_url, retry_base_delay=0.001, **kw)  # type: ignore[arg-type]
    return create_provider(kind, settings)


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [True, False])
def test_reply_usage_and_wire_format(kind: str, stream: bool) -> None:
    with FakeLLMServer(kind, [{"text": TEXT}]) as server:
        out = provider(kind, server, stream=stream).complete(MESSAGES, request_id="t001-s00")
        req = server.requests[0]
    assert out.text == TEXT and out.retries == 0 and not out.truncated
    assert out.tokens_in > 0 and out.tokens_out == len(TEXT) // 4
    assert bool(req["body"].get("stream")) is stream
    if kind == "openai":
        assert req["path"] == "/v1/chat/completions" and req["headers"]["authorization"] == f"Bearer {KEY}"
        assert req["body"]["messages"] == MESSAGES and req["body"]["max_tokens"] == 32768
        if stream:
            assert req["body"]["stream_options"] == {"include_usage": True}
    else:
        assert req["path"] == "/v1/messages"
        assert KEY in (
            req["headers"].get("x-api-key"),
            req["headers"].get("authorization", "").removeprefix("Bearer "),
        )
        assert req["body"]["system"] == "You write kernels."
        assert req["body"]["messages"] == [{"role": "user", "content": "Write a ReLU."}]


@pytest.mark.parametrize("stream", [True, False])
def test_reasoning_settings_reach_the_wire(stream: bool) -> None:
    """OpenAI gets reasoning_effort; Anthropic gets thinking (no temperature), and its thinking block
    never becomes the reply's text."""
    with FakeLLMServer("openai", [{"text": TEXT}]) as server:
        provider("openai", server, stream=stream, reasoning_effort="high").complete(MESSAGES, request_id="a")
        assert server.requests[0]["body"]["reasoning_effort"] == "high"
    with FakeLLMServer("anthropic", [{"text": TEXT}]) as server:
        out = provider(
            "anthropic", server, stream=stream, thinking_budget=4096, temperature=0.2, max_output_tokens=16000
        ).complete(MESSAGES, request_id="b")
        body = server.requests[0]["body"]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 4096} and "temperature" not in body
    assert body["max_tokens"] == 16000
    assert out.text == TEXT and "THINKING DRAFT" not in out.text


@pytest.mark.parametrize("kind,statuses", [("openai", [429, 500]), ("anthropic", [429, 529, 500])])
def test_retries_are_ours_and_counted(kind: str, statuses: list[int]) -> None:
    steps = [{"status": s, "retry_after": "0"} for s in statuses] + [{"text": TEXT}]
    with FakeLLMServer(kind, steps) as server:
        out = provider(kind, server).complete(MESSAGES, request_id="t001-s00")
        assert len(server.requests) == len(statuses) + 1  # the SDK did not retry on its own
    assert out.text == TEXT and out.retries == len(statuses)
    assert [e.split(":")[0] for e in out.errors] == [f"HTTP {s}" for s in statuses]


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_broken_stream_is_retried(kind: str) -> None:
    with FakeLLMServer(kind, [{"drop": True, "text": TEXT}, {"text": TEXT}]) as server:
        out = provider(kind, server).complete(MESSAGES, request_id="t001-s00")
    assert out.text == TEXT and out.retries == 1


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_truncated_reply_is_flagged(kind: str) -> None:
    with FakeLLMServer(kind, [{"text": "```python\nclass ModelNew", "finish": "length"}]) as server:
        out = provider(kind, server).complete(MESSAGES, request_id="t001-s00")
    assert out.truncated


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_auth_error_is_fatal_and_not_retried(kind: str) -> None:
    with FakeLLMServer(kind, [{"status": 401, "message": "invalid key"}, {"text": TEXT}]) as server:
        with pytest.raises(ProviderError) as info:
            provider(kind, server).complete(MESSAGES, request_id="t001-s00")
        assert len(server.requests) == 1
    assert info.value.fatal and info.value.retries == 0 and "401" in str(info.value)


def test_gives_up_after_max_retries() -> None:
    with FakeLLMServer("openai", [{"status": 503}] * 3) as server, pytest.raises(ProviderError) as info:
        provider("openai", server, max_retries=2).complete(MESSAGES, request_id="t001-s00")
    assert not info.value.fatal and info.value.retries == 2 and len(info.value.errors) == 3


def test_connection_refused_is_retryable() -> None:
    with FakeLLMServer("openai", []) as server:
        url = server.base_url
    settings = ProviderSettings(model="m", base_url=url, retry_base_delay=0.001, max_retries=1)
    with pytest.raises(ProviderError) as info:
        create_provider("openai", settings).complete(MESSAGES, request_id="t001-s00")
    assert info.value.retries == 1 and "connection" in info.value.errors[0]


def test_record_then_replay(tmp_path: Path) -> None:
    rec_dir = tmp_path / "rec"
    with FakeLLMServer("openai", [{"status": 429}, {"text": TEXT}, {"status": 401}]) as server:
        recorder = RecordingProvider(provider("openai", server), rec_dir, {"base_url": server.base_url})
        first = recorder.complete(MESSAGES, request_id="t001-s00")
        with pytest.raises(ProviderError):
            recorder.complete(MESSAGES, request_id="t002-s00")
    assert sorted(p.name for p in rec_dir.iterdir()) == ["session.json", "t001-s00.json", "t002-s00.json"]
    for file in rec_dir.iterdir():
        assert KEY not in file.read_text()
    saved = json.loads((rec_dir / "t001-s00.json").read_text())
    assert saved["messages"] == MESSAGES and saved["reply"]["text"] == TEXT and saved["reply"]["retries"] == 1

    replay = create_provider("replay", ProviderSettings(model="", replay_dir=str(rec_dir)))
    assert replay.model == "fake-kernel-model"
    again = replay.complete(MESSAGES, request_id="t001-s00")
    assert (again.text, again.tokens_in, again.tokens_out, again.retries) == (
        first.text,
        first.tokens_in,
        first.tokens_out,
        first.retries,
    )
    with pytest.raises(ProviderError) as info:
        replay.complete(MESSAGES, request_id="t002-s00")
    assert info.value.fatal  # the recorded 401
    with pytest.raises(ProviderError) as info:
        replay.complete(MESSAGES, request_id="t009-s00")
    assert info.value.fatal and "no request t009-s00" in str(info.value)
    other = [MESSAGES[0], {"role": "user", "content": "# A different task\n"}]
    replay.complete(other, request_id="t001-s00")
    assert replay.divergences == ["t001-s00"]  # type: ignore[attr-defined]


def test_bad_provider_inputs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="unknown provider"):
        create_provider("nope", ProviderSettings(model="m"))
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(BadInput, match="OPENAI_API_KEY"):
        create_provider("openai", ProviderSettings(model="gpt-4o"))
    create_provider("openai", ProviderSettings(model="m", base_url="http://127.0.0.1:9/v1"))  # dummy key
    with pytest.raises(BadInput, match="not a recorded session"):
        create_provider("replay", ProviderSettings(model="", replay_dir=str(tmp_path)))
