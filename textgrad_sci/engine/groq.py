"""TextGrad's ``textgrad.engine.groq``: ``ChatGroq``, a client of the provider's
OpenAI-compatible endpoint (address and key variable: :mod:`textgrad_sci.engine.providers`)."""

from .providers import provider_class

ChatGroq = provider_class("ChatGroq", "groq", "llama3-70b-8192")

__all__ = ["ChatGroq"]
