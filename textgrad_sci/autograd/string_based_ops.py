"""TextGrad's ``textgrad.autograd.string_based_ops``: ``StringBasedFunction``."""

from ..llm_ops import StringBasedFunction

__all__ = ["StringBasedFunction"]
