"""TextGrad's ``textgrad.engine.together``: ``ChatTogether``, a client of the provider's
OpenAI-compatible endpoint (address and key variable: :mod:`textgrad_sci.engine.providers`)."""

from .providers import provider_class

ChatTogether = provider_class("ChatTogether", "together", "meta-llama/Llama-3-70b-chat-hf")

__all__ = ["ChatTogether"]
