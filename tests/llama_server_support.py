"""llama.cpp's own OpenAI-compatible server (``python -m llama_cpp.server``) as a real test
component: the embedded SmolLM2 GGUF on 127.0.0.1, a free port, one thread, an API key.

``llama_server`` is a session-scoped fixture (import it into a test module, or into conftest.py
to share one server across modules); it yields a :class:`LlamaServer` and stops the server at
the end. A server that does not come up fails the tests that need it, with its log.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

MODEL_ALIAS = "smollm2"
API_KEY = "sk-llama-server-test-0123456789abcdef"  # fake; must never be written anywhere
START_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class LlamaServer:
    url: str  # the OpenAI base URL, ending in /v1
    api_key: str
    model: str
    log: Path

    @property
    def spec(self) -> str:
        return f"openai:{self.model}@{self.url}"

    def post(self, path: str, body: dict) -> dict:
        """A raw request (no textgrad-sci in between), for comparing with the engine."""
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.api_key}",
                     "Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(url: str, api_key: str) -> bool:
    headers = {"Authorization": f"Bearer {api_key}"}
    request = urllib.request.Request(url + "/models", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def start(log_dir: Path, n_ctx: int = 8192) -> tuple[subprocess.Popen, LlamaServer]:
    """Start the server and wait for ``GET /v1/models``; raises RuntimeError with its log."""
    from textgrad_sci.engines.local import default_model_path

    port = free_port()
    log = log_dir / "llama-server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()),
        "--host", "127.0.0.1", "--port", str(port), "--model_alias", MODEL_ALIAS,
        "--n_threads", "1", "--n_threads_batch", "1", "--n_ctx", str(n_ctx),
        "--api_key", API_KEY,
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = LlamaServer(f"http://127.0.0.1:{port}/v1", API_KEY, MODEL_ALIAS, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _ready(server.url, API_KEY):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"llama.cpp's server did not come up on port {port}:\n{tail}")
        time.sleep(0.25)
    return process, server


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory) -> Iterator[LlamaServer]:
    try:
        process, server = start(tmp_path_factory.mktemp("llama-server"))
    except RuntimeError as err:
        pytest.fail(str(err))
    try:
        yield server
    finally:
        stop(process)
