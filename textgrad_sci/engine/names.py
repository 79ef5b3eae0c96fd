"""TextGrad's engine names (``get_engine("gpt-4o")``), resolved as TextGrad 0.1.8 resolves
them, to this project's engines. The first matching row wins:

| name                                  | engine                                            |
|---------------------------------------|---------------------------------------------------|
| a shortcut (``opus``, ``haiku``, ...) | its full name, then the rows below                |
| ``experimental:<litellm model>``      | ``LiteLLMEngine(<model>)`` (``cache=`` allowed)   |
| ``azure-<deployment>``                | ``AzureChatOpenAI``                               |
| contains ``gpt-4`` or ``gpt-3.5``     | ``ChatOpenAI`` (OpenAI, or ``$OPENAI_BASE_URL``)  |
| contains ``claude``                   | ``ChatAnthropic``                                 |
| contains ``gemini``                   | ``ChatGemini``                                    |
| contains ``together``                 | ``ChatTogether`` (prefix ``together-`` removed)   |
| ``command-r-plus``/``command-r``/...  | ``ChatCohere``                                    |
| ``ollama-<model>``                    | ``ChatOpenAI`` at ``$OLLAMA_BASE_URL``            |
| contains ``vllm``                     | ``ChatVLLM`` (prefix ``vllm-`` removed)           |
| contains ``groq``                     | ``ChatGroq`` (prefix ``groq-`` removed)           |

Anything else is a ``ValueError``. ``cache=`` is refused except for ``experimental:`` names
(as in TextGrad); explicit ``scheme:`` specs (``openai:gpt-4o``) take every option.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..engines.base import Engine

__ENGINE_NAME_SHORTCUTS__ = {
    "opus": "claude-3-opus-20240229",
    "haiku": "claude-3-haiku-20240307",
    "sonnet": "claude-3-sonnet-20240229",
    "sonnet-3.5": "claude-3-5-sonnet-20240620",
    "together-llama-3-70b": "together-meta-llama/Llama-3-70b-chat-hf",
    "vllm-llama-3-8b": "vllm-meta-llama/Meta-Llama-3-8B-Instruct",
}
__MULTIMODAL_ENGINES__ = [
    "gpt-4-turbo",
    "gpt-4o",
    "claude-3-5-sonnet-20240620",
    "claude-3-opus-20240229",
    "claude-3-sonnet-20240229",
    "claude-3-haiku-20240307",
    "gpt-4-turbo-2024-04-09",
]
COHERE_MODELS = ("command-r-plus", "command-r", "command", "command-light")


def is_multimodal_name(name: str) -> bool:
    return name in __MULTIMODAL_ENGINES__


def _make(module: str, cls: str, model: str, **kwargs: Any) -> Engine:
    return getattr(importlib.import_module(f"textgrad_sci.{module}"), cls)(model, **kwargs)


def route(name: str, cache: Any = "auto", **kwargs: Any) -> Engine | None:
    """The engine TextGrad would build for ``name``, or None when no row matches."""
    name = __ENGINE_NAME_SHORTCUTS__.get(name, name)
    experimental = name.startswith("experimental:")
    if cache != "auto" and not experimental:
        raise ValueError(
            f"cache= is supported only for 'experimental:' names (as in TextGrad), not {name!r}; "
            f"use an explicit spec such as get_engine('openai:{name}', cache=...)"
        )
    if experimental:
        kwargs["cache"] = False if cache == "auto" else cache
        return _make("engine_experimental.litellm", "LiteLLMEngine", name[13:], **kwargs)
    multimodal = {"is_multimodal": is_multimodal_name(name)}
    if name.startswith("azure"):
        return _make("engine.openai", "AzureChatOpenAI", name[6:], **kwargs)
    if "gpt-4" in name or "gpt-3.5" in name:
        return _make("engine.openai", "ChatOpenAI", name, **multimodal, **kwargs)
    if "claude" in name:
        return _make("engine.anthropic", "ChatAnthropic", name, **multimodal, **kwargs)
    if "gemini" in name:
        return _make("engine.gemini", "ChatGemini", name, **kwargs)
    if "together" in name:
        return _make("engine.together", "ChatTogether", name.replace("together-", ""), **kwargs)
    if name in COHERE_MODELS:
        return _make("engine.cohere", "ChatCohere", name, **kwargs)
    if name.startswith("ollama"):
        from .openai import OLLAMA_BASE_URL

        model = name.replace("ollama-", "")
        return _make("engine.openai", "ChatOpenAI", model, base_url=OLLAMA_BASE_URL, **kwargs)
    if "vllm" in name:
        return _make("engine.vllm", "ChatVLLM", name.replace("vllm-", ""), **kwargs)
    if "groq" in name:
        return _make("engine.groq", "ChatGroq", name.replace("groq-", ""), **kwargs)
    return None


def validate_multimodal_engine(engine: Any) -> None:
    """TextGrad's check that ``engine`` is one of its known multimodal models."""
    if not is_multimodal_name(getattr(engine, "model_string", "")):
        raise ValueError(
            "The engine provided is not multimodal. Please provide a multimodal engine, one of "
            f"the following: {__MULTIMODAL_ENGINES__}"
        )
