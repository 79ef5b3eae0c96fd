"""LLM engines: the interface, the scripted test engine, and ``get_engine`` for the real ones."""

from .base import (
    ChatRequest,
    ChatResponse,
    Engine,
    EngineError,
    EngineLM,
    OutputSpec,
    build_request,
)
from .registry import get_engine, register_engine
from .scripted import ScriptedEngine

__all__ = [
    "ChatRequest",
    "ChatResponse",
    "Engine",
    "EngineError",
    "EngineLM",
    "OutputSpec",
    "ScriptedEngine",
    "build_request",
    "get_engine",
    "register_engine",
]
