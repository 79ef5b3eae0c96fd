"""TextGrad's ``textgrad.engine``: ``get_engine`` (the project's: explicit specs such as
``openai:gpt-4o`` and TextGrad's names, see :mod:`textgrad_sci.engine.names`), ``EngineLM`` and
``CachedEngine``. Provider modules: ``openai``, ``anthropic``, ``gemini``, ``together``,
``groq``, ``cohere``, ``vllm``, ``local_model_openai_api``, ``bedrock``, ``guidance``."""

from ..engines.registry import get_engine
from .base import CachedEngine, EngineLM
from .names import (
    __ENGINE_NAME_SHORTCUTS__,
    __MULTIMODAL_ENGINES__,
    is_multimodal_name,
    validate_multimodal_engine,
)

__all__ = [
    "__ENGINE_NAME_SHORTCUTS__",
    "__MULTIMODAL_ENGINES__",
    "CachedEngine",
    "EngineLM",
    "get_engine",
    "is_multimodal_name",
    "validate_multimodal_engine",
]
