"""TextGrad's ``textgrad.engine_experimental.litellm``: ``LiteLLMEngine`` without LiteLLM.

LiteLLM routes a model name to its provider; here the same names reach the provider's
OpenAI-compatible endpoint through the project's OpenAI engine (``litellm`` is not needed).
``"anthropic/claude-3-opus"``-style prefixes name the provider; otherwise it is inferred from
the model name (``claude``, ``gemini``, ``command``...), OpenAI by default. A missing key is
reported at the first call, as LiteLLM does.
"""

from __future__ import annotations

import os
from typing import Any

from ..engine.providers import (
    DEFAULT_SYSTEM_PROMPT,
    PROVIDERS,
    MissingAPIKey,
    OpenAICompatibleChat,
    missing_key_message,
    provider_base_url,
)
from ..engines.base import ChatRequest, ChatResponse
from ..engines.cache import resolve_cache

OPENAI_DEFAULT_URL = "https://api.openai.com/v1"
_PREFIXES = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "gemini",
    "google": "gemini",
    "together_ai": "together",
    "groq": "groq",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "ollama": "ollama",
    "ollama_chat": "ollama",
    "hosted_vllm": "vllm",
    "vllm": "vllm",
}
_INFERRED = (("claude", "anthropic"), ("gemini", "gemini"), ("command", "cohere"))


def litellm_provider(model_string: str) -> tuple[str, str]:
    """``(provider key, model name at that provider)`` for a LiteLLM model string."""
    prefix, sep, rest = model_string.partition("/")
    if sep and prefix in _PREFIXES:
        return _PREFIXES[prefix], rest
    for needle, provider in _INFERRED:
        if needle in model_string:
            return provider, model_string
    return "openai", model_string


class _ProviderCache:
    """A TextGrad ``diskcache.Cache`` (or any ``get``/``set`` mapping) as the call path's cache:
    answers stored as dicts under the request's stable key."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def get(self, key: str) -> ChatResponse | None:
        found = self.store.get(key)
        return ChatResponse(**{**found, "cached": True}) if isinstance(found, dict) else None

    def put(self, key: str, request: ChatRequest, response: ChatResponse) -> None:
        self.store.set(key, {"text": response.text, "finish_reason": response.finish_reason})


def resolve_textgrad_cache(cache: Any) -> Any:
    """TextGrad's ``cache=``: ``False`` none, ``True`` the project's disk cache
    (``$TEXTGRAD_SCI_CACHE``), a directory, a diskcache-like store, or a cache object."""
    if cache is False or cache is None:
        return None
    if cache is True:
        return resolve_cache("auto")
    if isinstance(cache, str | os.PathLike):
        return resolve_cache(cache)
    if callable(getattr(cache, "put", None)) and callable(getattr(cache, "get", None)):
        return cache
    if callable(getattr(cache, "set", None)) and callable(getattr(cache, "get", None)):
        return _ProviderCache(cache)
    raise ValueError(
        "cache must be True, False, a directory, a diskcache.Cache or a cache object, "
        f"not {type(cache).__name__}"
    )


class LiteLLMEngine(OpenAICompatibleChat):
    """``LiteLLMEngine(model_string, system_prompt=..., is_multimodal=True, cache=False)``."""

    def __init__(
        self,
        model_string: str,
        system_prompt: str | None = DEFAULT_SYSTEM_PROMPT,
        is_multimodal: bool = True,
        cache: Any = False,
        **kwargs: Any,
    ) -> None:
        key, model = litellm_provider(model_string)
        self.provider = PROVIDERS[key]
        self.litellm_model = model_string
        base_url = kwargs.pop("base_url", None) or (
            None if key != "openai" else os.environ.get("OPENAI_BASE_URL") or OPENAI_DEFAULT_URL
        )
        api_key = kwargs.pop("api_key", None)
        if api_key is None and self.provider.key_env:
            api_key = os.environ.get(self.provider.key_env) or None
        self._key_missing = api_key is None and self.provider.key_env is not None
        if base_url is None:
            base_url = provider_base_url(self.provider)
        super().__init__(model, system_prompt, is_multimodal, base_url, api_key=api_key, **kwargs)
        self.cache = resolve_textgrad_cache(cache)

    def _complete(self, request: ChatRequest) -> ChatResponse:
        if self._key_missing:
            raise MissingAPIKey(missing_key_message(self.provider))
        return super()._complete(request)


__all__ = ["LiteLLMEngine", "litellm_provider"]
