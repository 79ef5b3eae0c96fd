"""TextGrad's ``textgrad.engine.local_model_openai_api``: ``ChatExternalClient`` uses an
``openai.OpenAI`` client you made (LM Studio, llama.cpp's server, vLLM...)."""

from __future__ import annotations

from typing import Any

from .providers import DEFAULT_SYSTEM_PROMPT, OpenAICompatibleChat


class ChatExternalClient(OpenAICompatibleChat):
    """``ChatExternalClient(client=openai.OpenAI(base_url=..., api_key=...), model_string=...)``."""

    def __init__(
        self,
        client: Any,
        model_string: str,
        system_prompt: str | None = DEFAULT_SYSTEM_PROMPT,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            model_string,
            system_prompt,
            base_url=str(client.base_url),
            api_key=getattr(client, "api_key", None) or "none",
            **kwargs,
        )
        self._client = client


__all__ = ["ChatExternalClient"]
