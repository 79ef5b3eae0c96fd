"""TextGrad's ``textgrad.engine_experimental``: ``LiteLLMEngine`` over OpenAI-compatible
endpoints (no LiteLLM needed)."""

from .litellm import LiteLLMEngine

__all__ = ["LiteLLMEngine"]
