"""The engine interface: chat requests in, text out, through one call path for every engine.

Every call goes through :meth:`Engine.complete`, which applies, in order: the replay/record
cassette, the disk cache, the engine's concurrency limit, retries, and usage accounting. Concrete
engines implement only :meth:`Engine._complete` (one raw request to the model).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from ..usage import Usage, UsageMeter, current_label, record_call
from .content import (
    Content,
    content_dicts,
    content_text,
    has_image,
    normalize_content,
    textgrad_items,
)

log = logging.getLogger("textgrad_sci.engines")


@dataclass(frozen=True)
class OutputSpec:
    """A structured-output request. Engines honour what they can and ignore the rest.

    ``json_schema``: the answer must be a JSON document of this schema.
    ``grammar``: a llama.cpp GBNF grammar the answer must match (local engines).
    ``tag``: the answer is wrapped in ``<tag>...</tag>`` (the fallback every engine can follow).
    """

    json_schema: dict | None = None
    grammar: str | None = None
    tag: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion request: every field that can change the answer is part of its key.
    A message's content is text or a tuple of parts (see :mod:`textgrad_sci.engines.content`)."""

    model: str
    messages: tuple[tuple[str, Content], ...]
    temperature: float = 0.0
    max_tokens: int | None = None
    top_p: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] = ()
    output: OutputSpec | None = None
    extra: tuple[tuple[str, Any], ...] = ()

    def message_dicts(self) -> list[dict[str, Any]]:
        return [{"role": r, "content": content_dicts(c)} for r, c in self.messages]

    @property
    def has_images(self) -> bool:
        return any(has_image(content) for _, content in self.messages)

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "messages": self.message_dicts(),
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "seed": self.seed,
            "stop": list(self.stop),
            "output": self.output.to_dict() if self.output else None,
            "extra": {k: v for k, v in self.extra},
        }

    @classmethod
    def from_dict(cls, d: dict) -> ChatRequest:
        return cls(
            model=d["model"],
            messages=tuple((m["role"], normalize_content(m["content"])) for m in d["messages"]),
            temperature=d.get("temperature", 0.0),
            max_tokens=d.get("max_tokens"),
            top_p=d.get("top_p"),
            seed=d.get("seed"),
            stop=tuple(d.get("stop") or ()),
            output=OutputSpec(**d["output"]) if d.get("output") else None,
            extra=tuple(sorted((d.get("extra") or {}).items())),
        )

    def key(self) -> str:
        """A stable content hash (identical across processes and Python versions)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class ChatResponse:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None
    cached: bool = False
    retries: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


class EngineError(RuntimeError):
    """An engine call failed for good (after retries), with a message saying why."""


class SpecError(ValueError, EngineError):
    """An engine spec or setting is wrong (``?concurrency=0``, a URL without a scheme)."""


class Cache(Protocol):
    def get(self, key: str) -> ChatResponse | None: ...
    def put(self, key: str, request: ChatRequest, response: ChatResponse) -> None: ...


class Recorder(Protocol):
    def record(self, request: ChatRequest, response: ChatResponse) -> None: ...


class RetryPolicy(Protocol):
    def call(self, fn, request: ChatRequest) -> ChatResponse: ...


def is_cacheable(request: ChatRequest) -> bool:
    """Sampled answers without a seed are not reproducible, so they are never cached."""
    return request.temperature == 0 or request.seed is not None


def build_request(
    model: str,
    messages: Sequence[dict[str, str]] | str,
    *,
    system_prompt: str | None = None,
    temperature: float = 0.0,
    max_tokens: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    stop: Sequence[str] | None = None,
    output: OutputSpec | None = None,
    **extra: Any,
) -> ChatRequest:
    """Normalise chat arguments (a prompt string or OpenAI-style messages) into a request."""
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    pairs = [(m["role"], normalize_content(m["content"])) for m in messages]
    if system_prompt is not None:
        pairs.insert(0, ("system", system_prompt))
    return ChatRequest(
        model=model,
        messages=tuple(pairs),
        temperature=float(temperature),
        max_tokens=max_tokens,
        top_p=top_p,
        seed=seed,
        stop=tuple(stop or ()),
        output=output,
        extra=tuple(sorted(extra.items())),
    )


class Engine:
    """Base class of every engine. Subclasses set ``model`` and implement ``_complete``.

    Optional parts of the call path are plain attributes, so they can be set after creation:
    ``cache``, ``recorder``, ``retry``, ``max_concurrency``, ``price_per_million``
    (prompt, completion) in USD for cost accounting.
    """

    model: str = "unknown"
    cache: Cache | None = None
    recorder: Recorder | None = None
    retry: RetryPolicy | None = None
    max_concurrency: int | None = None
    price_per_million: tuple[float, float] | None = None
    default_params: dict = {}

    @abstractmethod
    def _complete(self, request: ChatRequest) -> ChatResponse:
        """Send one request to the model and return its answer (no cache, no retries)."""

    # -- the one call path ---------------------------------------------------------------------
    def chat(self, messages: Sequence[dict[str, str]] | str, **params: Any) -> str:
        """Messages (or a prompt string) in, text out. ``params``: sampling settings, ``output``."""
        return self.complete(self.request(messages, **params)).text

    def request(self, messages: Sequence[dict[str, str]] | str, **params: Any) -> ChatRequest:
        return build_request(self.model, messages, **{**self.default_params, **params})

    def complete(self, request: ChatRequest) -> ChatResponse:
        started = time.perf_counter()
        key = request.key() if self.cache is not None and is_cacheable(request) else None
        response = self._cache_get(key) if key is not None else None
        if response is None:
            try:
                with self._semaphore():
                    if self.retry is not None:
                        response = self.retry.call(self._complete, request)
                    else:
                        response = self._complete(request)
            except Exception as err:
                self._account_failure(err, time.perf_counter() - started)
                raise
            if key is not None:
                self._cache_put(key, request, response)
        if self.recorder is not None:
            self.recorder.record(request, response)
        self._account(response, time.perf_counter() - started)
        return response

    def _cache_get(self, key: str) -> ChatResponse | None:
        try:
            return self.cache.get(key)  # type: ignore[union-attr]
        except Exception as err:  # a broken cache must not stop a run: treat it as a miss
            log.warning(
                "engine cache read failed (%s: %s); calling the model", type(err).__name__, err
            )
            return None

    def _cache_put(self, key: str, request: ChatRequest, response: ChatResponse) -> None:
        try:
            self.cache.put(key, request, response)  # type: ignore[union-attr]
        except Exception as err:  # keep the answer even if it cannot be cached
            log.warning("engine cache write failed (%s: %s)", type(err).__name__, err)

    def _semaphore(self) -> threading.BoundedSemaphore | _NoLimit:
        sem = self.__dict__.get("_sem")
        if sem is None:
            sem = (
                threading.BoundedSemaphore(self.max_concurrency)
                if self.max_concurrency
                else _NO_LIMIT
            )
            sem = self.__dict__.setdefault("_sem", sem)  # atomic: one semaphore per engine
        return sem

    @property
    def usage(self) -> UsageMeter:
        """Totals of every call made through this engine."""
        meter = self.__dict__.get("_usage")
        if meter is None:
            meter = self.__dict__.setdefault("_usage", UsageMeter())
        return meter

    def _account_failure(self, err: BaseException, seconds: float) -> None:
        usage = Usage(calls=1, failures=1, retries=getattr(err, "retries", 0), seconds=seconds)
        self.usage.record(usage, current_label())
        record_call(usage)

    def _account(self, response: ChatResponse, seconds: float) -> None:
        usage = Usage(
            calls=1,
            prompt_tokens=0 if response.cached else response.prompt_tokens,
            completion_tokens=0 if response.cached else response.completion_tokens,
            cache_hits=int(response.cached),
            retries=response.retries,
            seconds=seconds,
        )
        if self.price_per_million and not response.cached:
            p_in, p_out = self.price_per_million
            usage.cost_usd = (usage.prompt_tokens * p_in + usage.completion_tokens * p_out) / 1e6
        self.usage.record(usage, current_label())
        record_call(usage)

    # -- TextGrad compatibility ----------------------------------------------------------------
    @property
    def model_string(self) -> str:
        """TextGrad's name for :attr:`model`."""
        return self.model

    @model_string.setter
    def model_string(self, value: str) -> None:
        self.model = value

    def generate(
        self, content: str | list, system_prompt: str | None = None, **kwargs: Any
    ) -> str:
        """TextGrad's call: a prompt, or a list of strings and image bytes, in; text out."""
        return self.chat(user_messages(content), system_prompt=system_prompt, **kwargs)

    def __call__(
        self, content: str | list, system_prompt: str | None = None, **kwargs: Any
    ) -> str:
        return self.generate(content, system_prompt=system_prompt, **kwargs)

    def describe(self) -> dict:
        """What a run directory records about this engine (never a key or a secret)."""
        return {"class": type(self).__name__, "model": self.model}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r})"


class _NoLimit:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_NO_LIMIT = _NoLimit()


def user_messages(content: Any) -> str | list[dict[str, Any]]:
    """A prompt string as it is; TextGrad's list of strings and image bytes as one user message
    of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and content and all(isinstance(m, dict) for m in content) and all(
        "role" in m for m in content
    ):
        return content  # already chat messages
    return [{"role": "user", "content": normalize_content(content)}]


def _accepted(fn: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments ``fn`` accepts (all of them when it takes ``**kwargs``)."""
    import inspect  # only custom TextGrad engines need it; it is slow to import

    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return kwargs
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return kwargs
    names = {p.name for p in params if p.kind is not inspect.Parameter.POSITIONAL_ONLY}
    return {k: v for k, v in kwargs.items() if k in names}


class EngineLM(Engine):
    """TextGrad's engine base class: subclasses implement ``generate(prompt, system_prompt)``.

    Custom engines written for TextGrad keep working: their ``generate`` (or their own
    ``__call__``, when they define one) becomes this engine's raw call, given only the keyword
    arguments it accepts, and every call made by textgrad-sci still goes through the common call
    path. A prompt with images reaches it as TextGrad's list of strings and image bytes.
    """

    system_prompt: str = "You are a helpful, creative, and smart assistant."
    model_string: str = "custom"  # type: ignore[assignment]

    @property
    def model(self) -> str:  # type: ignore[override]
        return self.model_string

    @abstractmethod
    def generate(self, prompt: str, system_prompt: str | None = None, **kwargs: Any) -> str:
        """Return the model's answer to ``prompt``."""

    def chat(self, messages: Sequence[dict[str, str]] | str, **params: Any) -> str:
        return self.complete(self.request(messages, **params)).text

    def _complete(self, request: ChatRequest) -> ChatResponse:
        system = next((content_text(c) for r, c in request.messages if r == "system"), None)
        rest = [c for r, c in request.messages if r != "system"]
        if len(rest) == 1:
            prompt: str | list = textgrad_items(rest[0])
        elif any(has_image(c) for c in rest):
            prompt = [item for c in rest for item in _as_list(textgrad_items(c))]
        else:
            prompt = "\n\n".join(content_text(c) for c in rest)
        kwargs: dict[str, Any] = {"system_prompt": system, "temperature": request.temperature}
        if request.max_tokens is not None:
            kwargs["max_tokens"] = request.max_tokens
        own_call = type(self).__call__ is not Engine.__call__
        raw = self.__call__ if own_call else self.generate
        text = raw(prompt, **_accepted(raw, kwargs))
        return ChatResponse(text=str(text))


def _as_list(items: str | list) -> list:
    return [items] if isinstance(items, str) else items
