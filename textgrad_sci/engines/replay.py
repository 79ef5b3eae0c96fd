"""Record every call of a run into a cassette (JSON lines) and replay it with no model at all.

A cassette holds ``{"kind": "engine", ...}`` lines (the recorded engine's model and default
parameters, so replayed requests get the same keys) and ``{"kind": "call", "hash", "request",
"response"}`` lines, secrets redacted. ``ReplayEngine`` (``replay:path``) answers each request
from the recorded calls with the same key, in recorded order; a request that was never recorded
raises :class:`ReplayMiss` naming it and the nearest recorded request.
"""

from __future__ import annotations

import difflib
import json
import os
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..secrets import redact
from .base import ChatRequest, ChatResponse, Engine, EngineError
from .content import content_text


class ReplayMiss(EngineError):
    """The request was not in the cassette (a prompt, parameter or model changed)."""


class CassetteRecorder:
    """Appends each call of ``engine`` to ``path``; thread-safe, one flushed line per call."""

    def __init__(self, path: str | os.PathLike, engine: Engine | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        if engine is not None:
            self._write(
                {
                    "kind": "engine",
                    "model": engine.model,
                    "default_params": _jsonable(engine.default_params),
                    "engine": engine.describe(),
                }
            )

    def _write(self, record: dict) -> None:
        line = json.dumps(redact(record), ensure_ascii=False, sort_keys=True) + "\n"
        with self._lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()

    def record(self, request: ChatRequest, response: ChatResponse) -> None:
        self._write(
            {
                "kind": "call",
                "hash": request.key(),
                "request": request.to_dict(),
                "response": {
                    "text": response.text,
                    "prompt_tokens": response.prompt_tokens,
                    "completion_tokens": response.completion_tokens,
                    "finish_reason": response.finish_reason,
                },
            }
        )


def _jsonable(params: dict) -> dict:
    return json.loads(json.dumps(params, default=lambda o: o.to_dict()))


def read_cassette(path: str | os.PathLike) -> list[dict]:
    """Every complete line of a cassette (a torn last line from a crash is ignored)."""
    path = Path(path)
    if not path.is_file():
        raise EngineError(f"cassette not found: {path}")
    records = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as err:
                if not line.endswith("\n"):
                    break
                raise EngineError(f"{path}:{number}: not a cassette line ({err.msg})") from None
    return records


class ReplayEngine(Engine):
    """Answers from a cassette. ``model``: which recorded engine to impersonate (default: the
    first one recorded); its default parameters are applied so requests get the same keys."""

    def __init__(self, path: str | os.PathLike, *, model: str | None = None) -> None:
        self.path = Path(path)
        records = read_cassette(self.path)
        engines = [r for r in records if r.get("kind") == "engine"]
        calls = [r for r in records if r.get("kind") == "call"]
        chosen = next((e for e in engines if model in (None, e["model"])), None)
        if model is None and chosen is None and calls:
            model = calls[0]["request"]["model"]
        self.model = model or (chosen["model"] if chosen else "replay")
        self.default_params = dict(chosen["default_params"]) if chosen else {}
        self._answers: dict[str, list[dict]] = defaultdict(list)
        self._requests: dict[str, dict] = {}
        for call in calls:
            self._answers[call["hash"]].append(call["response"])
            self._requests.setdefault(call["hash"], call["request"])
        self._served: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def describe(self) -> dict:
        return {"class": type(self).__name__, "model": self.model, "cassette": str(self.path)}

    def _complete(self, request: ChatRequest) -> ChatResponse:
        key = request.key()
        with self._lock:
            answers = self._answers.get(key)
            if not answers:
                raise ReplayMiss(self._miss_message(request))
            index = min(self._served[key], len(answers) - 1)
            self._served[key] += 1
        answer = answers[index]
        return ChatResponse(
            text=answer["text"],
            prompt_tokens=answer.get("prompt_tokens", 0),
            completion_tokens=answer.get("completion_tokens", 0),
            finish_reason=answer.get("finish_reason"),
        )

    def _miss_message(self, request: ChatRequest) -> str:
        wanted = request.to_dict()
        head = (
            f"request not in cassette {self.path} (model {request.model!r}, "
            f"{len(request.messages)} messages, key {request.key()[:12]}); last message: "
            f"{_excerpt(content_text(request.messages[-1][1]) if request.messages else '')!r}"
        )
        nearest = _nearest(wanted, list(self._requests.values()))
        if nearest is None:
            return head + ". The cassette holds no calls."
        return head + ". Nearest recorded request differs:\n" + _diff(nearest, wanted)


def _excerpt(text: str, n: int = 120) -> str:
    return text if len(text) <= n else text[:n] + "..."


def _nearest(wanted: dict, recorded: list[dict]) -> dict | None:
    if not recorded:
        return None
    blob = json.dumps(wanted, sort_keys=True)

    def similarity(candidate: dict) -> float:
        other = json.dumps(candidate, sort_keys=True)
        return difflib.SequenceMatcher(None, blob, other, autojunk=False).quick_ratio()

    return max(recorded, key=similarity)


def _diff(recorded: dict, wanted: dict, limit: int = 30) -> str:
    a = json.dumps(recorded, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    b = json.dumps(redact(wanted), indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    lines = [
        line
        for line in difflib.unified_diff(a, b, "recorded", "requested", n=0, lineterm="")
        if not line.startswith("@@")
    ]
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more lines)"]
    return "\n".join(lines)


def from_spec(rest: str, **kwargs: Any) -> ReplayEngine:
    """``get_engine("replay:path")`` factory."""
    if not rest:
        raise ValueError("the replay engine needs a cassette path: 'replay:run.cassette.jsonl'")
    return ReplayEngine(rest, **kwargs)
