"""TextGrad's ``textgrad.autograd.llm_ops``: ``LLMCall`` and ``FormattedLLMCall``."""

from ..llm_ops import FormattedLLMCall, LLMCall

__all__ = ["FormattedLLMCall", "LLMCall"]
