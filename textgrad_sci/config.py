"""Process-wide defaults: a settable backward engine (never a locked singleton)."""

from __future__ import annotations

import os
import threading

from .engines.base import Engine
from .engines.registry import get_engine

_lock = threading.Lock()
_backward_engine: Engine | None = None

ENGINE_ENV_VAR = "TEXTGRAD_SCI_ENGINE"


def default_engine_spec() -> str:
    """The engine used when none is given: ``$TEXTGRAD_SCI_ENGINE``, else an OpenAI-compatible
    server when ``OPENAI_MODEL`` is set with ``OPENAI_API_KEY`` or ``OPENAI_BASE_URL``, else the
    embedded local model (``local``)."""
    spec = os.environ.get(ENGINE_ENV_VAR, "").strip()
    if spec:
        return spec
    model = os.environ.get("OPENAI_MODEL", "").strip()
    if model and (os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL")):
        return "openai:" + model
    return "local"


def set_backward_engine(engine: Engine | str | None, override: bool = True) -> None:
    """Set the engine used by backward passes and optimizers when none is passed explicitly.

    ``override`` is accepted for TextGrad compatibility; the default can always be changed.
    """
    global _backward_engine
    with _lock:
        _backward_engine = None if engine is None else get_engine(engine)


def get_backward_engine() -> Engine:
    """The process default engine, built from :func:`default_engine_spec` on first use."""
    global _backward_engine
    with _lock:
        if _backward_engine is None:
            _backward_engine = get_engine(default_engine_spec())
        return _backward_engine


def resolve_engine(engine: Engine | str | None) -> Engine:
    """An explicit engine, a spec string, or (for None) the process default."""
    if engine is None:
        return get_backward_engine()
    return get_engine(engine)
