"""Scripted engines for the prompt-domain tests: a model whose accuracy depends on its prompt."""

from __future__ import annotations

import threading

from textgrad_sci.domains.prompt.data import Example

from textgrad_sci import ScriptedEngine
from textgrad_sci.engines.base import ChatRequest
from textgrad_sci.llm_ops_prompts import BACKWARD_SYSTEM_PROMPT

FEEDBACK = "Ask the model to count every item of the category one by one."


class CountingScript:
    """Answers object-counting questions correctly when the system prompt contains ``GOOD``,
    wrongly (answer + 1) otherwise, unless the prompt contains ``BAD`` (always wrong).

    Optimizer requests get the next prompt of ``proposals`` (the last one repeats); feedback
    requests get ``FEEDBACK``. ``fail_after`` makes the forward answers raise after that many
    (a simulated crash). Counts of each kind of call are kept.
    """

    def __init__(
        self, examples: list[Example], proposals: list[str], fail_after: int | None = None
    ):
        self.answers = {ex.prompt(): ex.answer for ex in examples}
        self.proposals = list(proposals)
        self.fail_after = fail_after
        self.counts = {"forward": 0, "feedback": 0, "update": 0}
        self._lock = threading.Lock()

    def __call__(self, request: ChatRequest) -> str:
        system = next((c for r, c in request.messages if r == "system"), "")
        user = [c for r, c in request.messages if r == "user"][0]
        if request.output is not None and request.output.tag:
            with self._lock:
                index = min(self.counts["update"], len(self.proposals) - 1)
                self.counts["update"] += 1
            return f"<IMPROVED_VARIABLE>{self.proposals[index]}</IMPROVED_VARIABLE>"
        if system == BACKWARD_SYSTEM_PROMPT:
            with self._lock:
                self.counts["feedback"] += 1
            return FEEDBACK
        with self._lock:
            self.counts["forward"] += 1
            if self.fail_after is not None and self.counts["forward"] > self.fail_after:
                raise RuntimeError("simulated crash")
        if user not in self.answers:
            return "The response's final answer is wrong: it miscounted the items."
        answer = int(self.answers[user])
        good = "GOOD" in system and "BAD" not in system
        return f"Counting.\nAnswer: {answer if good else answer + 1}"


def counting_engine(examples, proposals, latency: float = 0.0, fail_after=None):
    script = CountingScript(examples, proposals, fail_after)
    return ScriptedEngine(script, latency=latency), script


class GrowingScript(CountingScript):
    """Like :class:`CountingScript`, but each update depends only on the request (the current
    prompt gains " GOOD", then "!"): a resumed run in a new process proposes what an
    uninterrupted run would have."""

    def __call__(self, request: ChatRequest) -> str:
        if request.output is not None and request.output.tag:
            user = [c for r, c in request.messages if r == "user"][0]
            value = user.split("<VARIABLE>", 1)[1].split("</VARIABLE>", 1)[0]
            new = value + ("!" if "GOOD" in value else " GOOD")
            return f"<IMPROVED_VARIABLE>{new}</IMPROVED_VARIABLE>"
        return super().__call__(request)


def register_growing_engine(name: str, n: int, seed: int, latency: float = 0.0) -> None:
    """Register ``name:`` as a :class:`GrowingScript` engine over the object-counting task."""
    from textgrad_sci.domains.prompt import load_task

    from textgrad_sci.engines.registry import register_engine

    task = load_task("object-counting", n=n, sizes=(n // 3, n // 3, n - 2 * (n // 3)), seed=seed)
    engine = ScriptedEngine(GrowingScript(task.train + task.val + task.test, []), latency=latency)
    register_engine(name, lambda _rest, **_: engine)
