"""A disk cache of engine answers: SQLite in WAL mode, safe with concurrent writers.

Keyed by :meth:`ChatRequest.key` (a sha256 of model, messages and every sampling parameter), so
identical requests hit across processes. Location: ``$TEXTGRAD_SCI_CACHE`` (a directory, or
``off`` to disable), else ``$XDG_CACHE_HOME/textgrad-sci`` (``~/.cache/textgrad-sci``).
Only reproducible requests are cached (temperature 0, or a fixed seed); see
:func:`is_cacheable`. Secrets are redacted from what is stored.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

from ..cache import CACHE_ENV_VAR, OFF_VALUES, default_cache_dir
from ..secrets import redact
from .base import ChatRequest, ChatResponse, EngineError, is_cacheable

__all__ = ["DiskCache", "default_cache_dir", "is_cacheable", "resolve_cache"]

log = logging.getLogger("textgrad_sci.engines")
FILE_NAME = "engine-cache.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    created REAL NOT NULL
)
"""


class DiskCache:
    """``DiskCache(directory)``: one SQLite file; one connection per thread."""

    def __init__(self, directory: str | os.PathLike, timeout: float = 60.0) -> None:
        self.directory = Path(directory).expanduser()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / FILE_NAME
        self.timeout = timeout
        self._local = threading.local()
        self._connect()

    def __repr__(self) -> str:
        return f"DiskCache({str(self.directory)!r})"

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid != os.getpid():
            conn = None  # inherited through fork: never share a connection across processes
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            for attempt in range(50):  # switching to WAL needs a moment without other writers
                try:
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute("PRAGMA synchronous=NORMAL")
                    conn.execute(_SCHEMA)
                    break
                except sqlite3.OperationalError as err:
                    if attempt == 49 or "locked" not in str(err):
                        raise self._unusable(err) from err
                    time.sleep(0.05)
                except sqlite3.DatabaseError as err:
                    raise self._unusable(err) from err
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _unusable(self, err: Exception) -> EngineError:
        return EngineError(
            f"engine cache {self.path} is not a usable SQLite database ({err}); delete it, "
            f"or set {CACHE_ENV_VAR}=off"
        )

    def get(self, key: str) -> ChatResponse | None:
        row = self._connect().execute("SELECT response FROM responses WHERE key = ?", (key,))
        found = row.fetchone()
        if found is None:
            return None
        data = json.loads(found[0])
        return ChatResponse(
            text=data["text"],
            prompt_tokens=data.get("prompt_tokens", 0),
            completion_tokens=data.get("completion_tokens", 0),
            finish_reason=data.get("finish_reason"),
            cached=True,
        )

    def put(self, key: str, request: ChatRequest, response: ChatResponse) -> None:
        stored = {
            "text": response.text,
            "prompt_tokens": response.prompt_tokens,
            "completion_tokens": response.completion_tokens,
            "finish_reason": response.finish_reason,
        }
        self._connect().execute(
            "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?)",
            (
                key,
                request.model,
                json.dumps(redact(request.to_dict()), ensure_ascii=False),
                json.dumps(redact(stored), ensure_ascii=False),
                time.time(),
            ),
        )

    def __len__(self) -> int:
        return self._connect().execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def clear(self) -> None:
        self._connect().execute("DELETE FROM responses")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


_shared: dict[Path, DiskCache] = {}
_shared_lock = threading.Lock()


def resolve_cache(value: object = "auto") -> DiskCache | None:
    """``"auto"``: the environment's default; ``None``/``False``/``"off"``: no cache; a path:
    a cache there; a cache object: itself."""
    if value is None or value is False:
        return None
    if isinstance(value, str) and value.strip().lower() in OFF_VALUES:
        return None
    if value == "auto" or value is True:
        directory = default_cache_dir()
        if directory is None:
            return None
    elif isinstance(value, str | os.PathLike):
        directory = Path(value)
    else:
        return value  # type: ignore[return-value]
    directory = directory.expanduser().resolve()
    with _shared_lock:
        if directory not in _shared:
            try:
                _shared[directory] = DiskCache(directory)
            except OSError as err:
                if value != "auto":
                    raise
                log.warning("engine cache disabled: cannot use %s (%s)", directory, err)
                return None
        return _shared[directory]
