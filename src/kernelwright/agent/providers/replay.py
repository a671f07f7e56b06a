"""Recording a session to a folder, and replaying it offline.

Layout of a recording (schema ``kernelwright.recording/1``): ``session.json`` (provider, model, when)
and one ``<request_id>.json`` per request (``t003-s00`` = round 3, sample 0) holding the messages
sent, the reply text, usage, how it ended, and the retries it took, or the error it ended in.

Replay looks replies up by request id, so parallel samples replay deterministically whatever order the
threads run in. Prompts are compared by structure (see `prompt_digest`: judge messages quote random input values
and random failing cases, which differ on every run); a mismatch is reported as a divergence, not an
error, because the recorded reply is still the one the model gave at that point of the session.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kernelwright.agent.providers.base import Completion, Message, Provider, ProviderError, ProviderSettings
from kernelwright.agent.providers.registry import register_provider
from kernelwright.errors import BadInput
from kernelwright.secrets import redact_obj, safe_url

SCHEMA = "kernelwright.recording/1"
_NUMBER = re.compile(r"[-+]?\d[\d.,eE+-]*")


def prompt_digest(messages: list[Message]) -> str:
    """Hash of the prompt's structure: the system prompt, and the headings of the other messages
    (which sections are present, the last verdict's category), numbers removed. Reason texts are left
    out: which fuzz cases fail, and by how much, changes from one judgement to the next."""
    parts = []
    for m in messages:
        text = (
            m["content"]
            if m["role"] == "system"
            else "\n".join(line for line in m["content"].splitlines() if line.startswith("#"))
        )
        parts.append(f"{m['role']}:{_NUMBER.sub('#', text)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


class RecordingProvider:
    """Wraps a provider and writes every request and its reply (or error) to `directory`."""

    def __init__(self, inner: Provider, directory: Path, meta: dict[str, Any] | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._count = 0
        manifest = {
            "schema": SCHEMA,
            "provider": inner.name,
            "model": inner.model,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            **(meta or {}),
        }
        manifest["base_url"] = safe_url(manifest.get("base_url"))
        self._write("session.json", manifest)
        for old in self.dir.glob("t*-s*.json"):
            old.unlink()  # a fresh recording, not a merge with an older one

    def _write(self, name: str, body: dict[str, Any]) -> None:
        (self.dir / name).write_text(json.dumps(redact_obj(body), indent=1, ensure_ascii=False) + "\n")

    def complete(self, messages: list[Message], *, request_id: str) -> Completion:
        with self._lock:
            self._count += 1
            index = self._count
        body: dict[str, Any] = {
            "index": index,
            "request_id": request_id,
            "model": self.model,
            "messages": messages,
            "prompt_digest": prompt_digest(messages),
        }
        try:
            reply = self.inner.complete(messages, request_id=request_id)
        except ProviderError as exc:
            body["error"] = {
                "message": str(exc),
                "fatal": exc.fatal,
                "retries": exc.retries,
                "errors": exc.errors,
            }
            self._write(f"{request_id}.json", body)
            raise
        body["reply"] = reply.to_json()
        self._write(f"{request_id}.json", body)
        return reply


@register_provider("replay")
class ReplayProvider:
    """Serves the replies of a recorded session, by request id, without any network."""

    name = "replay"

    def __init__(self, settings: ProviderSettings) -> None:
        if not settings.replay_dir:
            raise BadInput("--provider replay needs --replay DIR (a folder written by --record)")
        self.dir = Path(settings.replay_dir)
        manifest = self.dir / "session.json"
        if not manifest.is_file():
            raise BadInput(f"not a recorded session (no session.json): {self.dir}")
        try:
            self.session = json.loads(manifest.read_text())
            self.requests = {p.stem: json.loads(p.read_text()) for p in sorted(self.dir.glob("t*-s*.json"))}
        except (OSError, ValueError) as exc:
            raise BadInput(f"cannot read the recorded session in {self.dir}: {exc}") from exc
        if self.session.get("schema") != SCHEMA:
            raise BadInput(
                f"{manifest}: unknown recording schema {self.session.get('schema')!r} (want {SCHEMA})"
            )
        self.model = (
            settings.model if settings.model not in ("", "replay") else str(self.session.get("model"))
        )
        self.divergences: list[str] = []
        self.served = 0
        self._lock = threading.Lock()

    def complete(self, messages: list[Message], *, request_id: str) -> Completion:
        rec = self.requests.get(request_id)
        if rec is None:
            held = ", ".join(sorted(self.requests)) or "none"
            raise ProviderError(
                f"the recording in {self.dir} has no request {request_id} (it holds: {held}); "
                "the replayed session went past the recorded one",
                fatal=True,
            )
        with self._lock:
            self.served += 1
            if rec.get("prompt_digest") != prompt_digest(messages):
                self.divergences.append(request_id)
        if "error" in rec:
            err = rec["error"]
            raise ProviderError(
                str(err.get("message")),
                fatal=bool(err.get("fatal")),
                retries=int(err.get("retries", 0)),
                errors=list(err.get("errors", [])),
            )
        reply = dict(rec["reply"])
        started = time.monotonic()
        out = Completion(**{k: v for k, v in reply.items() if k in Completion.__dataclass_fields__})
        out.seconds = round(time.monotonic() - started, 3)  # replay costs no model time
        return out
