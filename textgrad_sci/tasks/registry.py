"""Where tasks come from without the core importing a domain: a registry that installed
packages fill through the ``textgrad_sci.tasks`` entry-point group (or ``register_task``).

A provider is a function ``provider(**kwargs) -> (train, val, test, task_description)``, each
split a list of ``(question, answer)`` pairs. The prompt domain provides
``BBH_object_counting`` from its seeded generator this way (see ``pyproject.toml``).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

ENTRY_POINT_GROUP = "textgrad_sci.tasks"
Splits = tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]], str]
Provider = Callable[..., Splits]

_providers: dict[str, Provider] = {}


def register_task(name: str, provider: Provider) -> None:
    """Make ``load_task(name)`` use ``provider`` (overrides an entry point of that name)."""
    _providers[name] = provider


def task_provider(name: str) -> Provider | None:
    """The registered provider of ``name``, else the installed entry point's, else None."""
    if name in _providers:
        return _providers[name]
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
        provider: Any = ep.load()
        return provider
    return None


def provided_tasks() -> list[str]:
    names = set(_providers) | {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(names)
