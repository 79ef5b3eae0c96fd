"""A scripted OpenAI-compatible HTTP server on 127.0.0.1 for engine tests and benchmarks.

Each request to ``/v1/chat/completions`` takes the next action from ``server.script`` (or, when
the script is empty, answers from ``server.responder(body) -> text or action``). Actions:
``("ok", text)``, ``("status", code, headers, body)``, ``("hang", seconds)``, ``("truncated",)``,
``("garbage",)``; ``server.down = action`` answers every request with it. Every request (path,
headers, JSON body) is kept in ``server.requests``. ``fault_rate`` with ``seed`` injects random
faults (429, 500, truncated, garbage) before the responder, for benchmarks.
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
                    self._act(server._next_action(body))
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
