"""A small on-disk JSON cache, safe across processes (one file per key, atomic writes)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path


def default_cache_dir() -> Path:
    """``$TEXTGRAD_SCI_CACHE``, else ``$XDG_CACHE_HOME/textgrad-sci`` or ``~/.cache/...``."""
    if os.environ.get("TEXTGRAD_SCI_CACHE"):
        return Path(os.environ["TEXTGRAD_SCI_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "textgrad-sci"


def stable_key(key: dict) -> str:
    blob = json.dumps(key, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class DiskCache:
    """``get(key)`` / ``put(key, value)`` (JSON dicts) stored as ``directory/ab/abcd....json``."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)

    def _path(self, key: dict) -> Path:
        digest = stable_key(key)
        return self.directory / digest[:2] / f"{digest}.json"

    def get(self, key: dict) -> dict | None:
        try:
            record = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        return record.get("value") if record.get("key") == key else None

    def put(self, key: dict, value: dict) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"key": key, "value": value}, f)
        os.replace(tmp, path)
