"""`ToolLoss`: the base of every tool-backed loss. A subclass says how to ``measure`` a value with
its tool; the base caches measurements by the value's canonical form and provides the forward,
the backward (the rendering and hints written as feedback) and ``score`` for acceptance gating."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .function import Function, trainable
from .variable import Variable

if TYPE_CHECKING:
    from .engines.base import Engine


@dataclass
class Measurement:
    """What a tool said about one value.

    numbers: JSON-safe numbers (attached to the loss output as ``data``, recorded per step).
    text: their rendering for a language model (the loss output's value).
    score: one scalar for acceptance gating and benchmarks (lower is better unless the loss
        says ``minimize = False``).
    hints: advice derived from the numbers, added to the feedback.
    error: why the tool failed (the failure is feedback too, never an exception).
    detail: the tool's own result object (not JSON; e.g. a dose cube or per-test results).
    """

    numbers: dict[str, Any]
    text: str
    score: float
    hints: list[str] = field(default_factory=list)
    error: str | None = None
    detail: Any = None

    @property
    def ok(self) -> bool:
        return self.error is None


class ToolLoss(Function):
    """Subclasses implement :meth:`measure` (and optionally :meth:`canonical`, :meth:`feedback`).

    ``evaluations`` counts distinct measurements (the expensive tool calls: the budget);
    ``cache_size`` bounds the in-memory cache (None: unbounded).
    """

    role: str = "tool report"
    minimize: bool = True  # False for a score where higher is better (e.g. an accuracy)
    feedback_via: str = "tool"
    cache_size: int | None = None

    def measure(self, value: str) -> Measurement:
        raise NotImplementedError

    def canonical(self, value: str) -> str:
        """The cache identity of a value (e.g. canonical SMILES); the value itself by default."""
        return value

    def _cache_state(self) -> tuple[OrderedDict, threading.Lock, dict]:
        state = self.__dict__.get("_tool_cache")
        if state is None:
            state = self.__dict__.setdefault(
                "_tool_cache", (OrderedDict(), threading.Lock(), {"evaluations": 0, "hits": 0})
            )
        return state

    @property
    def evaluations(self) -> int:
        return self._cache_state()[2]["evaluations"]

    @property
    def cache_hits(self) -> int:
        return self._cache_state()[2]["hits"]

    def evaluate(self, value: str) -> Measurement:
        """The measurement of ``value``, measured once per canonical form (thread-safe)."""
        cache, lock, counts = self._cache_state()
        key = self.canonical(value)
        with lock:
            if key in cache:
                cache.move_to_end(key)
                counts["hits"] += 1
                return cache[key]
        measurement = self.measure(value)
        with lock:
            if key not in cache:
                counts["evaluations"] += 1
            cache[key] = measurement
            while self.cache_size is not None and len(cache) > self.cache_size:
                cache.popitem(last=False)
        return measurement

    def remember(self, value: str, measurement: Measurement) -> None:
        """Put a known measurement into the cache (e.g. restored from a run's records)."""
        cache, lock, _ = self._cache_state()
        with lock:
            cache[self.canonical(value)] = measurement

    def score(self, value: str) -> float:
        """For ``TGD(score_fn=..., minimize=loss.minimize)`` and the baselines."""
        return self.evaluate(value).score

    def role_of(self, variable: Variable) -> str:
        return f"{self.role} of the {variable.role_description}"

    def feedback(self, measurement: Measurement, variable: Variable) -> str | None:
        """The feedback written onto the measured variable: the rendering and the hints."""
        return "\n".join([measurement.text, *measurement.hints])

    def send_feedback(
        self, output: Variable, variable: Variable, measurement: Measurement, engine: Engine | None
    ) -> None:
        """Write this loss's feedback and whatever feedback its output received."""
        text = self.feedback(measurement, variable)
        context = {"via": self.feedback_via}
        if text:
            variable.add_gradient(text, source=output.name, context=context)
        for grad in list(output.gradients):
            variable.add_gradient(grad.value, source=output.name, context=context)

    def report(self, value: str) -> Measurement:
        """The measurement the forward renders and feeds back (``evaluate`` by default); a loss
        may enrich it with feedback costlier than its ``score`` needs (e.g. sensitivities)."""
        return self.evaluate(value)

    def forward(self, variable: Variable) -> Variable:  # type: ignore[override]
        measurement = self.report(variable.value)

        def backward(output: Variable, engine: Engine | None) -> None:
            for target in trainable([variable]):
                self.send_feedback(output, target, measurement, engine)

        return self.make_output(
            self.role_of(variable), [variable], backward, lambda: measurement.text,
            data=dict(measurement.numbers),
        )
