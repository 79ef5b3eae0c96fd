"""TextGrad's ``textgrad.engine.gemini``: ``ChatGemini``, a client of the provider's
OpenAI-compatible endpoint (address and key variable: :mod:`textgrad_sci.engine.providers`)."""

from .providers import provider_class

ChatGemini = provider_class("ChatGemini", "gemini", "gemini-1.5-pro")

__all__ = ["ChatGemini"]
