"""Concurrency settings and a context-preserving parallel map used by forward, backward and step."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_concurrency = 16


def set_concurrency(n: int) -> None:
    """Set how many graph nodes (and so engine calls) may run at once (1: serially)."""
    global _concurrency
    if n < 1:
        raise ValueError("concurrency must be at least 1")
    _concurrency = n


def get_concurrency() -> int:
    return _concurrency


def submit(pool: ThreadPoolExecutor, fn: Callable[..., R], *args):
    """Submit ``fn`` to ``pool`` inside a copy of the caller's context (usage scopes, run)."""
    return pool.submit(contextvars.copy_context().run, fn, *args)


def parallel_map(
    fn: Callable[[T], R], items: Iterable[T], concurrency: int | None = None
) -> list[R]:
    """``[fn(x) for x in items]``, run on up to ``concurrency`` threads, results in input order.

    The first exception raised by ``fn`` propagates after all items have finished.
    """
    items = list(items) if not isinstance(items, Sequence) else items
    workers = min(concurrency or _concurrency, len(items))
    if workers <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [submit(pool, fn, x) for x in items]
        return [f.result() for f in futures]
