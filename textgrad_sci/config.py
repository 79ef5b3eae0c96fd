"""Process-wide defaults: the backward engine, with TextGrad's guard against replacing it by
accident (``set_backward_engine(e)`` twice raises unless ``override=True``; ``None`` clears)."""

from __future__ import annotations

import os
import threading

from .engines.base import Engine
from .engines.registry import get_engine

_lock = threading.Lock()
_backward_engine: Engine | None = None
_explicit = False  # set by the user (not built lazily from the environment)

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


class BackwardEngineAlreadySet(RuntimeError):
    """``set_backward_engine`` was called again without ``override=True``."""


def set_backward_engine(
    engine: Engine | str | None, override: bool = False, **kwargs: object
) -> None:
    """Set the engine used by backward passes and optimizers when none is passed explicitly.

    As in TextGrad, a second call raises :class:`BackwardEngineAlreadySet` unless
    ``override=True``; ``set_backward_engine(None)`` clears the default (always allowed).
    ``kwargs`` go to :func:`get_engine` when ``engine`` is a name.
    """
    global _backward_engine, _explicit
    if engine is None:
        with _lock:
            _backward_engine, _explicit = None, False
        return
    built = get_engine(engine, **kwargs)
    with _lock:
        if _explicit and _backward_engine is not None and not override:
            raise BackwardEngineAlreadySet(
                f"a backward engine is already set ({_backward_engine!r}); pass override=True "
                "to replace it"
            )
        _backward_engine, _explicit = built, True


def get_backward_engine() -> Engine:
    """The process default engine, built from :func:`default_engine_spec` on first use."""
    global _backward_engine
    with _lock:
        if _backward_engine is None:
            _backward_engine = get_engine(default_engine_spec())
        return _backward_engine


class SingletonBackwardEngine:
    """TextGrad's view of the process default: ``SingletonBackwardEngine().get_engine()``
    (None until one is set) and ``.set_engine(engine, override=False)``."""

    _instance: SingletonBackwardEngine | None = None

    def __new__(cls) -> SingletonBackwardEngine:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    @property
    def engine(self) -> Engine | None:
        return _backward_engine if _explicit else None

    def get_engine(self) -> Engine | None:
        return self.engine

    def set_engine(self, engine: Engine | str | None, override: bool = False) -> None:
        set_backward_engine(engine, override=override)


def validate_engine_or_get_default(engine: Engine | str | None) -> Engine:
    """TextGrad's helper: the given engine (a name is resolved), else the process default."""
    return resolve_engine(engine)


def resolve_engine(engine: Engine | str | None) -> Engine:
    """An explicit engine, a spec string, or (for None) the process default."""
    if engine is None:
        return get_backward_engine()
    return get_engine(engine)
