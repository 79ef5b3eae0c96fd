"""TextGrad's ``textgrad.engine.cohere``: ``ChatCohere``, a client of the provider's
OpenAI-compatible endpoint (address and key variable: :mod:`textgrad_sci.engine.providers`)."""

from .providers import provider_class

ChatCohere = provider_class("ChatCohere", "cohere", "command-r-plus")

__all__ = ["ChatCohere"]
