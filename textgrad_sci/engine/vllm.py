"""TextGrad's ``textgrad.engine.vllm``: ``ChatVLLM``, a client of a vLLM OpenAI-compatible
server (``VLLM_BASE_URL``, default port 8000 on localhost), not vLLM loaded in process."""

from .providers import provider_class

ChatVLLM = provider_class("ChatVLLM", "vllm", "meta-llama/Meta-Llama-3-8B-Instruct")

__all__ = ["ChatVLLM"]
