"""TextGrad's ``textgrad.engine.base``: ``EngineLM`` (the project's, which runs a custom
``generate`` through the common call path) and ``CachedEngine`` (a prompt -> answer store)."""

from __future__ import annotations

import os
from pathlib import Path

from ..cache import JsonCache
from ..engines.base import EngineLM


class CachedEngine:
    """TextGrad's mixin for custom engines that cache by prompt themselves:
    ``_check_cache(prompt)`` and ``_save_cache(prompt, answer)``, stored as JSON files in
    ``cache_path`` (a directory; a TextGrad ``*.db`` path becomes a directory of that name).
    Engines built with ``get_engine`` need none of this: the call path caches every request."""

    def __init__(self, cache_path: str | os.PathLike) -> None:
        super().__init__()
        self.cache_path = Path(cache_path)
        self._prompt_cache = JsonCache(self.cache_path)

    def _check_cache(self, prompt: str) -> str | None:
        found = self._prompt_cache.get({"prompt": prompt})
        return None if found is None else found.get("answer")

    def _save_cache(self, prompt: str, response: str) -> None:
        self._prompt_cache.put({"prompt": prompt}, {"answer": response})


__all__ = ["CachedEngine", "EngineLM"]
