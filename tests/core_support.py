"""Scripted responders for the core tests: answer by the kind of call (forward, backward,
evaluation, optimizer update) recognised from the prompts, which are data in the core."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from textgrad_sci import llm_ops_prompts, optimizer_prompts
from textgrad_sci.engines import ChatRequest

UPDATE_MARK = optimizer_prompts.SYSTEM_PROMPT.split("{")[0]
BACKWARD_MARK = llm_ops_prompts.BACKWARD_SYSTEM_PROMPT


def kind_of(request: ChatRequest) -> str:
    system = next((c for r, c in request.messages if r == "system"), "")
    if system.startswith(UPDATE_MARK):
        return "update"
    if system == BACKWARD_MARK:
        return "backward"
    return "forward"


def responder(
    forward: str | Callable[[ChatRequest], str] = "forward answer",
    backward: str | Callable[[ChatRequest], str] = "feedback: be more precise",
    update: str | Callable[[ChatRequest], str] = "<IMPROVED_VARIABLE>improved</IMPROVED_VARIABLE>",
) -> Callable[[ChatRequest], str]:
    answers = {"forward": forward, "backward": backward, "update": update}

    def respond(request: ChatRequest) -> str:
        answer = answers[kind_of(request)]
        return answer(request) if callable(answer) else answer

    return respond


class ConcurrencyProbe:
    """Wraps a responder; sleeps ``latency`` per call and records the peak number in flight."""

    def __init__(self, respond: Callable[[ChatRequest], str], latency: float):
        self.respond = respond
        self.latency = latency
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()

    def __call__(self, request: ChatRequest) -> str:
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            time.sleep(self.latency)
            return self.respond(request)
        finally:
            with self._lock:
                self.in_flight -= 1
