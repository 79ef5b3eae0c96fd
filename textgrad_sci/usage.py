"""Usage accounting: calls, tokens, cache hits, retries and cost, per engine, run and graph node."""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections import defaultdict
from dataclasses import asdict, dataclass, field


@dataclass
class Usage:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_hits: int = 0
    retries: int = 0
    failures: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0

    def add(self, other: Usage) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["cost_usd"] = round(d["cost_usd"], 6)
        d["seconds"] = round(d["seconds"], 4)
        return d


@dataclass
class UsageMeter:
    """Thread-safe totals, overall and per label (a graph node, an optimizer step, ...)."""

    total: Usage = field(default_factory=Usage)
    by_label: dict[str, Usage] = field(default_factory=lambda: defaultdict(Usage))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, usage: Usage, label: str | None) -> None:
        with self._lock:
            self.total.add(usage)
            if label:
                self.by_label[label].add(usage)

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "total": self.total.to_dict(),
                "by_node": {k: v.to_dict() for k, v in self.by_label.items()},
            }


_label: contextvars.ContextVar[str | None] = contextvars.ContextVar("tgs_usage_label", default=None)
_meters: contextvars.ContextVar[tuple[UsageMeter, ...]] = contextvars.ContextVar(
    "tgs_usage_meters", default=()
)


@contextlib.contextmanager
def usage_label(label: str):
    """Attribute engine calls made inside this block to ``label`` (e.g. a graph node's name)."""
    token = _label.set(label)
    try:
        yield
    finally:
        _label.reset(token)


@contextlib.contextmanager
def metering(meter: UsageMeter):
    """Count every engine call made inside this block (and threads it starts) into ``meter``."""
    token = _meters.set(_meters.get() + (meter,))
    try:
        yield meter
    finally:
        _meters.reset(token)


def record_call(usage: Usage) -> None:
    """Called by the engine call path once per request: adds to every active meter."""
    label = _label.get()
    for meter in _meters.get():
        meter.record(usage, label)


def current_label() -> str | None:
    return _label.get()
