"""TextGrad's ``textgrad.engine.anthropic``: ``ChatAnthropic``, a client of the provider's
OpenAI-compatible endpoint (address and key variable: :mod:`textgrad_sci.engine.providers`)."""

from .providers import provider_class

ChatAnthropic = provider_class("ChatAnthropic", "anthropic", "claude-3-opus-20240229")

__all__ = ["ChatAnthropic"]
