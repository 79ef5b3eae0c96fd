"""A scripted engine for tests and offline examples: answers come from a list or a function."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from .base import ChatRequest, ChatResponse, Engine, EngineError
from .content import content_text

Responder = Callable[[ChatRequest], str]


class ScriptedEngine(Engine):
    """Answers each request from ``script``: a fixed string, a list consumed in order, or a
    function of the request. ``latency`` seconds of sleep per call simulate a remote model.
    Every request is kept in ``requests`` (thread-safe) so tests can inspect prompts.
    """

    def __init__(
        self,
        script: str | Sequence[str] | Responder = "",
        *,
        model: str = "scripted",
        latency: float = 0.0,
        max_concurrency: int | None = None,
    ) -> None:
        self.model = model
        self.latency = latency
        self.max_concurrency = max_concurrency
        self._script = script
        self._position = 0
        self._lock = threading.Lock()
        self.requests: list[ChatRequest] = []

    def _next_answer(self, request: ChatRequest) -> str:
        if callable(self._script):
            return self._script(request)
        if isinstance(self._script, str):
            return self._script
        with self._lock:
            if self._position >= len(self._script):
                raise EngineError(f"scripted engine exhausted after {self._position} answers")
            answer = self._script[self._position]
            self._position += 1
        return answer

    def _complete(self, request: ChatRequest) -> ChatResponse:
        with self._lock:
            self.requests.append(request)
        if self.latency:
            time.sleep(self.latency)
        text = self._next_answer(request)
        prompt_words = sum(len(content_text(c).split()) for _, c in request.messages)
        return ChatResponse(
            text=text, prompt_tokens=prompt_words, completion_tokens=len(text.split())
        )
