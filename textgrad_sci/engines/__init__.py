"""LLM engines: the interface, the one call path (cache, retries, usage, record/replay), the
scripted test engine, and ``get_engine`` specs for the real ones (``local``, ``openai:...``,
``replay:...``). ``LocalEngine`` and ``OpenAIEngine`` are imported on first use."""

from .base import (
    ChatRequest,
    ChatResponse,
    Engine,
    EngineError,
    EngineLM,
    OutputSpec,
    SpecError,
    build_request,
    is_cacheable,
)
from .cache import DiskCache, resolve_cache
from .registry import get_engine, register_engine
from .replay import CassetteRecorder, ReplayEngine, ReplayMiss
from .retry import RetryPolicy, TransientEngineError
from .scripted import ScriptedEngine

__all__ = [
    "CassetteRecorder",
    "ChatRequest",
    "ChatResponse",
    "DiskCache",
    "Engine",
    "EngineError",
    "EngineLM",
    "LocalEngine",
    "OpenAIEngine",
    "OutputSpec",
    "ReplayEngine",
    "ReplayMiss",
    "RetryPolicy",
    "ScriptedEngine",
    "SpecError",
    "TransientEngineError",
    "build_request",
    "get_engine",
    "is_cacheable",
    "register_engine",
    "resolve_cache",
]

_LAZY = {
    "LocalEngine": "textgrad_sci.engines.local",
    "OpenAIEngine": "textgrad_sci.engines.openai_engine",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'textgrad_sci.engines' has no attribute {name!r}")
