"""TextGrad's provider engines as clients of each provider's OpenAI-compatible endpoint.

One table says where each provider listens and which environment variable holds its key; every
provider class is :class:`OpenAICompatibleChat` with that row, so all of them share the project's
call path (cache, retries, usage, cassettes). Providers without such an endpoint raise
:class:`ProviderUnavailable`, naming the provider.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..engines.base import EngineError
from ..engines.openai_engine import OpenAIEngine

DEFAULT_SYSTEM_PROMPT = "You are a helpful, creative, and smart assistant."


@dataclass(frozen=True)
class Provider:
    name: str
    base_url: str | None  # None: the OpenAI SDK's default (or $OPENAI_BASE_URL)
    key_env: str | None  # None: the server takes no key
    base_url_env: str | None = None


PROVIDERS = {
    "openai": Provider("OpenAI", None, "OPENAI_API_KEY"),
    "anthropic": Provider("Anthropic", "https://api.anthropic.com/v1/", "ANTHROPIC_API_KEY"),
    "gemini": Provider(
        "Google Gemini", "https://generativelanguage.googleapis.com/v1beta/openai/",
        "GOOGLE_API_KEY",
    ),
    "together": Provider("Together AI", "https://api.together.xyz/v1", "TOGETHER_API_KEY"),
    "groq": Provider("Groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY"),
    "cohere": Provider("Cohere", "https://api.cohere.ai/compatibility/v1", "COHERE_API_KEY"),
    "ollama": Provider("Ollama", "http://localhost:11434/v1", None, "OLLAMA_BASE_URL"),
    "vllm": Provider("vLLM", "http://localhost:8000/v1", None, "VLLM_BASE_URL"),
    "lmstudio": Provider("LM Studio", "http://localhost:1234/v1", None),
}


class MissingAPIKey(EngineError, ValueError):
    """A provider's API key is not set (a ``ValueError``, as in TextGrad)."""


class ProviderUnavailable(EngineError, NotImplementedError):
    """TextGrad has an engine for this provider, but it has no OpenAI-compatible endpoint."""


def provider_base_url(provider: Provider) -> str | None:
    if provider.base_url_env and os.environ.get(provider.base_url_env):
        return os.environ[provider.base_url_env]
    return provider.base_url


def missing_key_message(provider: Provider) -> str:
    return (
        f"Please set the {provider.key_env} environment variable (or pass api_key=) to use "
        f"{provider.name} models"
    )


class OpenAICompatibleChat(OpenAIEngine):
    """A TextGrad-style engine (``model_string``, ``system_prompt``, ``is_multimodal``,
    ``generate``/``__call__``) over :class:`~textgrad_sci.engines.OpenAIEngine`.

    ``system_prompt`` is used when a call brings none, as TextGrad's engines do.
    """

    provider = PROVIDERS["openai"]
    default_model = "gpt-3.5-turbo-0613"
    DEFAULT_SYSTEM_PROMPT = DEFAULT_SYSTEM_PROMPT

    def __init__(
        self,
        model_string: str | None = None,
        system_prompt: str | None = DEFAULT_SYSTEM_PROMPT,
        is_multimodal: bool = False,
        base_url: str | None = None,
        api_key: str | None = None,
        **kwargs: Any,
    ) -> None:
        provider = self.provider
        if api_key is None and provider.key_env:
            api_key = os.environ.get(provider.key_env) or None
        # a key is needed for the provider's own endpoint; a server you name may need none
        own_endpoint = base_url is None and (
            provider.base_url is not None or not os.environ.get("OPENAI_BASE_URL")
        )
        if api_key is None and provider.key_env and own_endpoint:
            raise MissingAPIKey(missing_key_message(provider))
        base_url = base_url or provider_base_url(provider)
        super().__init__(
            model_string or self.default_model, base_url=base_url, api_key=api_key, **kwargs
        )
        self.system_prompt = system_prompt
        self.is_multimodal = is_multimodal

    def request(self, messages: Any, **params: Any):
        if params.get("system_prompt") is None and self.system_prompt:
            listed = messages if isinstance(messages, list) else []
            if not any(isinstance(m, dict) and m.get("role") == "system" for m in listed):
                params["system_prompt"] = self.system_prompt
        return super().request(messages, **params)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model_string={self.model!r}, base_url={self.base_url!r})"


def provider_class(name: str, key: str, default_model: str) -> type[OpenAICompatibleChat]:
    """A TextGrad provider class (``ChatAnthropic``...) bound to one row of the table."""
    return type(
        name,
        (OpenAICompatibleChat,),
        {
            "provider": PROVIDERS[key],
            "default_model": default_model,
            "__doc__": f"TextGrad's {name}: {PROVIDERS[key].name}'s OpenAI-compatible endpoint.",
            "__module__": f"textgrad_sci.engine.{key}",
        },
    )


def unavailable(provider: str, hint: str) -> type:
    """A TextGrad engine class whose provider has no OpenAI-compatible endpoint."""

    class Unavailable:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise ProviderUnavailable(
                f"{provider} has no OpenAI-compatible endpoint, so textgrad-sci has no engine for "
                f"it; {hint}"
            )

    return Unavailable
