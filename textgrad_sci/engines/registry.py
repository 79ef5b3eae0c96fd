"""Engine specs with an explicit scheme: ``local``, ``local:/path/model.gguf``,
``openai:gpt-4o-mini``, ``openai:<model>@http://127.0.0.1:8000/v1``, ``replay:path``,
``scripted:<fixed answer>``. A spec without a known scheme may be one of TextGrad's model
names (``gpt-4o``, ``experimental:...``, ``ollama-...``): those resolve as TextGrad resolves them
(:mod:`textgrad_sci.engine.names`); explicit schemes stay the recommended form."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable

from .base import Engine

Factory = Callable[[str], Engine]
_factories: dict[str, str | Factory] = {
    # scheme -> "module:function" (imported lazily) or a callable taking the rest of the spec
    "local": "textgrad_sci.engines.local:from_spec",
    "openai": "textgrad_sci.engines.openai_engine:from_spec",
    "replay": "textgrad_sci.engines.replay:from_spec",
    "scripted": "textgrad_sci.engines.scripted:ScriptedEngine",
}

CACHED_BY_DEFAULT = {"local", "openai"}
RECORD_ENV_VAR = "TEXTGRAD_SCI_RECORD"


def register_engine(scheme: str, factory: str | Factory) -> None:
    """Make ``get_engine("scheme:...")`` build engines with ``factory(rest_of_spec)``."""
    _factories[scheme] = factory


def _split(spec: str) -> tuple[str, str]:
    """``"local?threads=2"`` -> ("local", "?threads=2"); ``"openai:m"`` -> ("openai", "m")."""
    match = re.match(r"([A-Za-z][A-Za-z0-9_\-]*)(?::|(?=\?)|$)", spec)
    if match is None:
        return spec, ""
    return match.group(1), spec[match.end() :]


def get_engine(
    spec: str | Engine | None = None,
    *,
    engine_name: str | None = None,
    cache: object = "auto",
    record: str | os.PathLike | None = None,
    **kwargs,
) -> Engine:
    """Build an engine from a spec string (an ``Engine`` is used as it is).

    ``cache``: ``"auto"`` gives ``local`` and ``openai`` engines the default disk cache
    (``$TEXTGRAD_SCI_CACHE``: a directory, or ``off``); ``None``/``False``/``"off"``: no cache;
    a directory or a cache object: that one. ``record``: append every call to this cassette
    (for ``local``/``openai`` specs, ``$TEXTGRAD_SCI_RECORD`` by default); replay it later with
    ``replay:<path>``. Other keyword arguments go to the engine. ``engine_name=`` is TextGrad's
    name for ``spec``.
    """
    if spec is None:
        if engine_name is None:
            raise TypeError("get_engine() needs an engine spec, e.g. get_engine('local')")
        spec = engine_name
    if isinstance(spec, Engine):
        engine, scheme = spec, None
        if kwargs:
            raise TypeError(f"engine settings {sorted(kwargs)} need a spec string, not an engine")
    else:
        scheme, rest = _split(spec)
        factory = _factories.get(scheme)
        if factory is None:
            from ..engine.names import route

            engine = route(spec, cache=cache, **kwargs)
            if engine is None:
                known = ", ".join(sorted(_factories))
                raise ValueError(
                    f"unknown engine spec {spec!r}: it must start with a scheme, one of {known} "
                    "(e.g. 'local', 'openai:gpt-4o-mini', "
                    "'openai:my-model@http://127.0.0.1:8000/v1'), or be one of TextGrad's model "
                    "names (e.g. 'gpt-4o', 'experimental:<model>', 'ollama-<model>')"
                )
            if cache == "auto" and not spec.startswith("experimental:"):
                from .cache import resolve_cache

                engine.cache = resolve_cache("auto")
            return _with_recorder(engine, record or os.environ.get(RECORD_ENV_VAR) or None)
        if isinstance(factory, str):
            module, _, attr = factory.partition(":")
            factory = getattr(importlib.import_module(module), attr)
        engine = factory(rest, **kwargs)
    if cache != "auto" or scheme in CACHED_BY_DEFAULT:
        from .cache import resolve_cache

        engine.cache = resolve_cache(cache)
    if record is None and scheme in CACHED_BY_DEFAULT:  # real models built from a spec
        record = os.environ.get(RECORD_ENV_VAR) or None
    return _with_recorder(engine, record)


def _with_recorder(engine: Engine, record: str | os.PathLike | None) -> Engine:
    if record is not None:
        from .replay import CassetteRecorder

        engine.recorder = CassetteRecorder(record, engine)
    return engine
