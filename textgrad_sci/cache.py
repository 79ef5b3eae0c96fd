"""The disk caches' one home: where caches live (``TEXTGRAD_SCI_CACHE=off|DIR``) and the JSON
store the tools use (one file per key, atomic writes, safe across processes). The engines' SQLite
answer store (:mod:`textgrad_sci.engines.cache`) lives in the same directory."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

CACHE_ENV_VAR = "TEXTGRAD_SCI_CACHE"
OFF_VALUES = {"off", "0", "false", "no", "none", "disabled"}


def default_cache_dir() -> Path | None:
    """``$TEXTGRAD_SCI_CACHE`` (a directory), None when it says ``off``, else
    ``$XDG_CACHE_HOME/textgrad-sci`` (``~/.cache/textgrad-sci``)."""
    value = os.environ.get(CACHE_ENV_VAR, "").strip()
    if value.lower() in OFF_VALUES:
        return None
    if value:
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "textgrad-sci"


def stable_key(key: dict) -> str:
    """A SHA-256 of ``key`` as canonical JSON (sorted keys): the same on every machine."""
    blob = json.dumps(key, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class JsonCache:
    """``get(key)`` / ``put(key, value)`` (JSON dicts) stored as ``directory/ab/abcd....json``."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"JsonCache({str(self.directory)!r})"

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


def tool_cache(name: str, directory: str | os.PathLike | None = None) -> JsonCache | None:
    """The JSON cache of one tool (``<cache dir>/<name>``); None when caching is off and no
    explicit ``directory`` is given."""
    if directory is not None:
        return JsonCache(directory)
    root = default_cache_dir()
    return None if root is None else JsonCache(root / name)
