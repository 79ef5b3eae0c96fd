"""A scripted OpenAI-compatible HTTP server on 127.0.0.1 for engine tests and benchmarks.

Each request to ``/v1/chat/completions`` takes the next action from ``server.script`` (or, when
the script is empty, answers from ``server.responder(body) -> text or action``). Actions:
``("ok", text)``, ``("status", code, headers, body)``, ``("hang", seconds)``, ``("truncated",)``,
``("garbage",)``, ``("cut", text)`` (a streamed answer that stops without a finish_reason,
as llama.cpp's server does when another request arrives); ``server.down = action`` answers every
request with it. A request with ``"stream": true`` gets its ``ok`` answer as server-sent events.
``server.refuses`` names structured-output modes the server refuses as real servers do:
``json_schema`` (HTTP 500, llama.cpp's server), ``json_object`` (400), ``grammar`` (400, an
unknown field for OpenAI). Every request (path, headers, JSON body) is kept in
``server.requests``. ``fault_rate`` with ``seed`` injects random faults (429, 500, truncated,
garbage) before the responder, for benchmarks.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = (
    ("status", 429, {"Retry-After": "0"}, '{"error": {"message": "rate limited"}}'),
    ("status", 500, {}, '{"error": {"message": "internal error"}}'),
    ("truncated",),
    ("garbage",),
)


REFUSALS = {
    "json_schema": (
        "status", 500, {},
        json.dumps({"error": {"message": "response_format.type: Input should be 'text' or "
                              "'json_object'"}}),
    ),
    "json_object": (
        "status", 400, {}, json.dumps({"error": {"message": "json_object is not supported"}}),
    ),
    "grammar": (
        "status", 400, {},
        json.dumps({"error": {"message": "Unrecognized request argument supplied: grammar"}}),
    ),
}  # fmt: skip


def mode_of(body: dict) -> str:
    """The structured-output mode a request asks for: json_schema, json_object, grammar, text."""
    kind = (body.get("response_format") or {}).get("type")
    if kind in ("json_schema", "json_object"):
        return kind
    return "grammar" if "grammar" in body else "text"


def chunk(text: str | None, finish_reason: str | None = None, usage: dict | None = None) -> dict:
    choices = [] if usage else [
        {"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish_reason}
    ]
    return {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0,
            "model": "test-model", "choices": choices, "usage": usage}


def completion(text: str, prompt_tokens: int = 7, completion_tokens: int = 3) -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class FakeOpenAIServer:
    """``with FakeOpenAIServer() as server: OpenAIEngine("m", base_url=server.url)``."""

    def __init__(
        self,
        responder: Callable[[dict], str] | None = None,
        fault_rate: float = 0.0,
        seed: int = 0,
        faults: tuple[tuple, ...] = FAULTS,
    ) -> None:
        self.responder = responder or (lambda body: "ok")
        self.script: deque[tuple] = deque()
        self.requests: list[dict[str, Any]] = []
        self.fault_rate = fault_rate
        self.faults = faults
        self.faults_injected = 0
        self.in_flight = self.max_in_flight = 0  # concurrent requests now / at most
        self.down: tuple | None = None  # when set, every request gets this action
        self.refuses: set[str] = set()  # structured-output modes answered with an error
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def then(self, *actions: tuple) -> FakeOpenAIServer:
        self.script.extend(actions)
        return self

    def _next_action(self, body: dict) -> tuple:
        with self._lock:
            if self.down is not None:
                return self.down
            if mode_of(body) in self.refuses:
                return REFUSALS[mode_of(body)]
            if self.script:
                return self.script.popleft()
            if self.fault_rate and self._rng.random() < self.fault_rate:
                self.faults_injected += 1
                return self._rng.choice(self.faults)
        answer = self.responder(body)
        return answer if isinstance(answer, tuple) else ("ok", answer)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                body = json.loads(raw or b"{}")
                with server._lock:
                    server.requests.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                        }
                    )
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    action = server._next_action(body)
                    if body.get("stream") and action[0] in ("ok", "cut"):
                        self._stream(action, body)
                    else:
                        self._act(action)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _send(self, code: int, payload: bytes, headers: dict | None = None) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, action: tuple, body: dict) -> None:
                """Server-sent events, one word a chunk; ``cut`` ends with no finish_reason."""
                kind, text = action[0], action[1]
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                words = text.split(" ")
                events = [chunk(w if i == 0 else " " + w) for i, w in enumerate(words)]
                if kind == "ok":
                    events.append(chunk(None, "stop"))
                    if (body.get("stream_options") or {}).get("include_usage"):
                        usage = {"prompt_tokens": 7, "completion_tokens": len(words),
                                 "total_tokens": 7 + len(words)}  # fmt: skip
                        events.append(chunk(None, usage=usage))
                for event in events:
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def _act(self, action: tuple) -> None:
                kind = action[0]
                if kind == "ok":
                    self._send(200, json.dumps(completion(*action[1:])).encode())
                elif kind == "status":
                    _, code, headers, text = action
                    self._send(code, text.encode(), headers)
                elif kind == "hang":
                    time.sleep(action[1])
                    self._send(200, json.dumps(completion("late")).encode())
                elif kind == "truncated":
                    payload = json.dumps(completion("cut")).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload[:20])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                elif kind == "garbage":
                    self._send(200, b'{"choices": [ this is not json')
                else:
                    raise ValueError(f"unknown action {action!r}")

        return Handler
