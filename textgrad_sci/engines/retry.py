"""Retries with exponential backoff and full jitter, honouring ``Retry-After``.

Engines raise :class:`TransientEngineError` for failures worth retrying (429, 5xx, timeouts,
connection errors, garbled bodies) and :class:`EngineError` for the rest (400, 401, ...), which
fail at once. Built-in ``TimeoutError``/``ConnectionError`` count as transient too.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..secrets import redact_text
from .base import ChatRequest, ChatResponse, EngineError

log = logging.getLogger("textgrad_sci.engines")


class TransientEngineError(EngineError):
    """A failure that may go away: the call path retries it. ``retry_after`` in seconds."""

    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def is_transient(err: BaseException) -> bool:
    return isinstance(err, TransientEngineError | TimeoutError | ConnectionError)


@dataclass
class RetryPolicy:
    """``max_attempts`` tries in all; delay before retry n (1-based) is uniform in
    ``[0, min(max_delay, base_delay * 2**(n-1))]`` unless the server asked for ``Retry-After``
    (then that, capped at ``max_retry_after``)."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_retry_after: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, err: BaseException) -> float:
        retry_after = getattr(err, "retry_after", None)
        if retry_after is not None:
            return min(float(retry_after), self.max_retry_after)
        return self.rng.uniform(0.0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))

    def call(self, fn: Callable[[ChatRequest], ChatResponse], request: ChatRequest) -> ChatResponse:
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = fn(request)
            except Exception as err:
                if not is_transient(err):
                    if isinstance(err, EngineError):
                        err.retries = attempt - 1  # type: ignore[attr-defined]
                    raise
                reason = redact_text(f"{type(err).__name__}: {err}")
                if attempt == self.max_attempts:
                    failure = EngineError(
                        f"{request.model}: gave up after {attempt} attempts; last error: {reason}"
                    )
                    failure.retries = attempt - 1  # type: ignore[attr-defined]
                    raise failure from err
                wait = self.delay(attempt, err)
                log.warning(
                    "%s: attempt %d/%d failed (%s); retrying in %.2fs",
                    request.model, attempt, self.max_attempts, reason, wait,
                )  # fmt: skip
                self.sleep(wait)
                continue
            response.retries += attempt - 1
            return response
        raise AssertionError("unreachable")
