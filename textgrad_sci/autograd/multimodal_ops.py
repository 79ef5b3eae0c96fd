"""TextGrad's ``textgrad.autograd.multimodal_ops``."""

from ..multimodal import MultimodalLLMCall, OrderedFieldsMultimodalLLMCall

__all__ = ["MultimodalLLMCall", "OrderedFieldsMultimodalLLMCall"]
