"""TextGrad's ``textgrad.autograd``: the project's functions under TextGrad's module paths."""

from ..llm_ops import FormattedLLMCall, LLMCall, StringBasedFunction
from ..model import Module
from ..multimodal import MultimodalLLMCall, OrderedFieldsMultimodalLLMCall
from ..reduce import aggregate, sum

__all__ = [
    "FormattedLLMCall",
    "LLMCall",
    "Module",
    "MultimodalLLMCall",
    "OrderedFieldsMultimodalLLMCall",
    "StringBasedFunction",
    "aggregate",
    "sum",
]
