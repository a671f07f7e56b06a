"""A scripted local LLM server speaking the real OpenAI chat-completions and Anthropic messages wire
protocols, streaming (SSE) included, so the official SDKs talk to it exactly as to the real APIs.

Each request consumes the next step of the script:
- ``{"text": "..."}``: a normal reply (streamed when the request asks for it);
- ``{"text": "...", "finish": "length"}``: a reply cut off by the token limit;
- ``{"status": 429}`` / ``{"status": 500}`` / ``{"status": 529}``: an error response in the protocol's
  error format (``retry_after`` adds a Retry-After header);
- ``{"drop": True, "text": "..."}``: the stream starts, then the connection is closed mid-reply.
When the script is exhausted the server answers 403 (fatal for the client), so a runaway loop stops.

Every request is kept in ``server.requests`` (path, lower-cased headers, JSON body, step served).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHUNK = 48  # characters per streamed delta
# What an extended-thinking reply thinks before answering: a draft that must never be taken as the file.
THINKING = "Draft:\n```python\nclass ModelNew(nn.Module):\n    pass  # THINKING DRAFT\n```\n"


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


class FakeLLMServer:
    def __init__(self, protocol: str, steps: list[dict[str, Any]], model: str = "fake-kernel-model") -> None:
        assert protocol in ("openai", "anthropic")
        self.protocol = protocol
        self.steps = list(steps)
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        root = f"http://{host}:{port}"
        return root + "/v1" if self.protocol == "openai" else root

    def start(self) -> FakeLLMServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                server._handle(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ inspection
    def served(self) -> list[dict[str, Any]]:
        """Requests that got a reply (text or truncated), in order: what the model 'saw'."""
        return [
            r
            for r in self.requests
            if r["step"] is not None and "status" not in r["step"] and not r["step"].get("drop")
        ]

    @staticmethod
    def prompt_text(request: dict[str, Any]) -> str:
        body = request["body"]
        parts = [
            m["content"] if isinstance(m["content"], str) else json.dumps(m["content"])
            for m in body.get("messages", [])
        ]
        if isinstance(body.get("system"), str):
            parts.insert(0, body["system"])
        return "\n".join(parts)

    # ------------------------------------------------------------------ serving
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("content-length") or 0)
        body = json.loads(h.rfile.read(length) or b"{}")
        expected = "/v1/chat/completions" if self.protocol == "openai" else "/v1/messages"
        with self._lock:
            step = self.steps.pop(0) if self.steps and h.path == expected else None
            self.requests.append(
                {
                    "path": h.path,
                    "headers": {k.lower(): v for k, v in h.headers.items()},
                    "body": body,
                    "step": step,
                    "at": time.time(),
                }
            )
        if h.path != expected:
            return self._error(h, 404, f"unknown path {h.path}")
        if step is None:
            return self._error(h, 403, "fake server: the script is exhausted")
        if "status" in step:
            return self._error(
                h, int(step["status"]), step.get("message", "scripted failure"), step.get("retry_after")
            )
        prompt_tokens = _tokens(self.prompt_text(self.requests[-1]))
        if self.protocol == "openai":
            self._openai(h, body, step, prompt_tokens)
        else:
            self._anthropic(h, body, step, prompt_tokens)

    def _error(self, h: BaseHTTPRequestHandler, status: int, message: str, retry_after: Any = None) -> None:
        if self.protocol == "openai":
            payload = {
                "error": {
                    "message": message,
                    "type": "server_error" if status >= 500 else "invalid_request_error",
                    "code": None,
                }
            }
        else:
            kind = {
                429: "rate_limit_error",
                529: "overloaded_error",
                403: "permission_error",
                404: "not_found_error",
            }.get(status, "api_error")
            payload = {"type": "error", "error": {"type": kind, "message": message}}
        data = json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(data)))
        if retry_after is not None:
            h.send_header("retry-after", str(retry_after))
        h.end_headers()
        h.wfile.write(data)

    @staticmethod
    def _sse_start(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        h.send_header("cache-control", "no-cache")
        h.send_header("connection", "close")
        h.end_headers()

    @staticmethod
    def _pieces(text: str) -> list[str]:
        return [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]

    def _json(self, h: BaseHTTPRequestHandler, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        h.send_response(200)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    # OpenAI chat completions -------------------------------------------------
    def _openai(self, h: BaseHTTPRequestHandler, body: dict, step: dict, prompt_tokens: int) -> None:
        text, finish = step["text"], step.get("finish", "stop")
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": _tokens(text),
            "total_tokens": prompt_tokens + _tokens(text),
        }
        base = {"id": "chatcmpl-fake", "created": int(time.time()), "model": self.model}
        if not body.get("stream"):
            return self._json(
                h,
                {
                    **base,
                    "object": "chat.completion",
                    "usage": usage,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": finish,
                        }
                    ],
                },
            )
        self._sse_start(h)

        def send(obj: Any) -> None:
            h.wfile.write(f"data: {obj if isinstance(obj, str) else json.dumps(obj)}\n\n".encode())
            h.wfile.flush()

        chunk = {**base, "object": "chat.completion.chunk"}
        send(
            {
                **chunk,
                "choices": [
                    {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
                ],
            }
        )
        pieces = self._pieces(text)
        for i, piece in enumerate(pieces):
            if step.get("drop") and i == len(pieces) // 2:
                return  # connection closes without [DONE]: a broken stream
            send({**chunk, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
        send({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            send({**chunk, "choices": [], "usage": usage})
        send("[DONE]")

    # Anthropic messages ------------------------------------------------------
    def _anthropic(self, h: BaseHTTPRequestHandler, body: dict, step: dict, prompt_tokens: int) -> None:
        text = step["text"]
        finish = {"length": "max_tokens"}.get(step.get("finish", "stop"), "end_turn")
        out_tokens = _tokens(text)
        if not body.get("stream"):
            return self._json(
                h,
                {
                    "id": "msg_fake",
                    "type": "message",
                    "role": "assistant",
                    "model": self.model,
                    "content": (
                        [{"type": "thinking", "thinking": THINKING, "signature": "c2lnbmF0dXJl"}]
                        if body.get("thinking")
                        else []
                    )
                    + [{"type": "text", "text": text}],
                    "stop_reason": finish,
                    "stop_sequence": None,
                    "usage": {"input_tokens": prompt_tokens, "output_tokens": out_tokens},
                },
            )
        self._sse_start(h)

        def send(event: str, data: dict[str, Any]) -> None:
            h.wfile.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
            h.wfile.flush()

        send(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_fake",
                    "type": "message",
                    "role": "assistant",
                    "model": self.model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": prompt_tokens, "output_tokens": 1},
                },
            },
        )
        index = 0
        if body.get("thinking"):  # extended thinking: a thinking block (never the answer) comes first
            send(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "thinking", "thinking": "", "signature": ""},
                },
            )
            delta = {"type": "thinking_delta", "thinking": THINKING}
            send("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
            delta = {"type": "signature_delta", "signature": "c2lnbmF0dXJl"}
            send("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
            send("content_block_stop", {"type": "content_block_stop", "index": 0})
            index = 1
        send(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
        )
        send("ping", {"type": "ping"})
        pieces = self._pieces(text)
        for i, piece in enumerate(pieces):
            if step.get("drop") and i == len(pieces) // 2:
                return
            send(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": piece},
                },
            )
        send("content_block_stop", {"type": "content_block_stop", "index": index})
        send(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": finish, "stop_sequence": None},
                "usage": {"output_tokens": out_tokens},
            },
        )
        send("message_stop", {"type": "message_stop"})
