"""TextGrad's ``textgrad.engine.openai``: ``ChatOpenAI`` (also for Ollama via ``base_url``),
``AzureChatOpenAI`` (Azure's OpenAI v1 endpoint) and ``OLLAMA_BASE_URL``."""

from __future__ import annotations

import os
from typing import Any

from .providers import (
    DEFAULT_SYSTEM_PROMPT,
    PROVIDERS,
    MissingAPIKey,
    OpenAICompatibleChat,
    provider_base_url,
)

OLLAMA_BASE_URL = provider_base_url(PROVIDERS["ollama"])


class ChatOpenAI(OpenAICompatibleChat):
    """OpenAI's chat models; with ``base_url`` any OpenAI-compatible server (Ollama needs no
    key)."""

    def __init__(
        self,
        model_string: str = "gpt-3.5-turbo-0613",
        system_prompt: str | None = DEFAULT_SYSTEM_PROMPT,
        is_multimodal: bool = False,
        base_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        if base_url is not None and base_url == OLLAMA_BASE_URL:
            kwargs.setdefault("api_key", "none")  # Ollama takes any key; never send a real one
        super().__init__(model_string, system_prompt, is_multimodal, base_url, **kwargs)


class AzureChatOpenAI(OpenAICompatibleChat):
    """Azure OpenAI through its OpenAI-compatible v1 endpoint: ``AZURE_OPENAI_ENDPOINT`` and
    ``AZURE_OPENAI_API_KEY``; ``model_string`` is the deployment name."""

    def __init__(
        self,
        model_string: str = "gpt-35-turbo",
        system_prompt: str | None = DEFAULT_SYSTEM_PROMPT,
        **kwargs: Any,
    ) -> None:
        endpoint = kwargs.pop("azure_endpoint", None) or os.environ.get("AZURE_OPENAI_ENDPOINT")
        key = kwargs.pop("api_key", None) or os.environ.get("AZURE_OPENAI_API_KEY")
        if not endpoint or not key:
            raise MissingAPIKey(
                "Please set AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY to use Azure OpenAI"
            )
        kwargs.pop("api_version", None)  # the v1 endpoint takes none
        base_url = endpoint.rstrip("/") + "/openai/v1/"
        super().__init__(model_string, system_prompt, base_url=base_url, api_key=key, **kwargs)


__all__ = ["OLLAMA_BASE_URL", "AzureChatOpenAI", "ChatOpenAI"]
