"""Domain sections of a run report, contributed through the ``textgrad_sci.report_sections``
entry-point group (the core never imports a domain).

An entry point names a module with:

- ``applies(run) -> bool``: whether the run is this domain's (``run["domain"]`` when the run
  recorded one, else the shape of its records);
- ``sections(run) -> list[Section]``: the lab-notebook sections, shown above the generic ones;
- optionally ``results(run) -> dict[str, value]``: the headline results, one row of the
  comparison page's table.

``run`` is :func:`run_view`'s dict: ``path``, ``meta``, ``config``, ``summary``, ``steps``
(normalized step records), ``events``, ``domain``. A section that fails shows as a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

from markupsafe import Markup

GROUP = "textgrad_sci.report_sections"


@dataclass
class Section:
    """One part of the notebook: ``id`` (an HTML id), a title for the menu, trusted HTML."""

    id: str
    title: str
    html: Markup

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "html": Markup(self.html)}


@lru_cache(maxsize=1)
def _entry_points() -> tuple:
    return tuple(sorted(entry_points(group=GROUP), key=lambda ep: ep.name))


def run_domain(meta: dict) -> str | None:
    """The domain a run recorded (``run.json``'s ``domain``, or its settings' ``domain``)."""
    for holder in (meta, meta.get("config") if isinstance(meta.get("config"), dict) else {}):
        value = holder.get("domain")
        if isinstance(value, str) and value:
            return value
    return None


def run_view(run: dict) -> dict:
    """What a section reads: the loaded run (from ``data.load_run``) in plain fields."""
    meta = run["meta"]
    return {
        "path": run["path"],
        "meta": meta,
        "config": meta.get("config") if isinstance(meta.get("config"), dict) else {},
        "summary": meta.get("summary") if isinstance(meta.get("summary"), dict) else {},
        "steps": run["steps"],
        "events": run["events"],
        "domain": run_domain(meta),
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-") or "section"


def _failure(name: str, stage: str, err: BaseException) -> Section:
    from .fragments import note

    text = f"The {name} section could not be {stage}: {type(err).__name__}: {err}"
    return Section(f"{_slug(name)}-failed", f"{name} (failed)", note(text))


def _plugins(view: dict) -> list[tuple[str, Any]]:
    """The section modules that apply to the run, or a failure per broken one. A run that
    recorded its domain loads only that domain's module when one has its name."""
    found = []
    eps = _entry_points()
    named = [ep for ep in eps if ep.name == view.get("domain")]
    for ep in named or eps:
        try:
            module = ep.load()
            if module.applies(view):
                found.append((ep.name, module))
        except Exception as err:  # noqa: BLE001 - a broken domain must not stop the report
            found.append((ep.name, err))
    return found


def domain_sections(view: dict) -> tuple[list[dict], list[str]]:
    """Every applicable domain's sections (dicts for the template, in entry-point order), and
    one line per section module that could not be loaded (it may not have applied)."""
    out: list[dict] = []
    problems: list[str] = []
    for name, module in _plugins(view):
        if isinstance(module, BaseException):
            if view.get("domain") == name:
                out.append(_failure(name, "loaded", module).to_dict())
            else:
                problems.append(f"{name}: {type(module).__name__}: {module}")
            continue
        try:
            made = module.sections(view) or []
            out.extend(s.to_dict() for s in made)
        except Exception as err:  # noqa: BLE001
            out.append(_failure(name, "drawn", err).to_dict())
    return out, problems


def domain_results(view: dict) -> tuple[str | None, dict[str, Any]]:
    """The first applicable domain's name and headline results (empty when it has none)."""
    for name, module in _plugins(view):
        if isinstance(module, BaseException) or not hasattr(module, "results"):
            continue
        try:
            return name, dict(module.results(view) or {})
        except Exception as err:  # noqa: BLE001
            return name, {"results failed": f"{type(err).__name__}: {err}"}
    return None, {}
