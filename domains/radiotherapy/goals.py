"""Clinical goal sets per case (prostate protocol, TG-119 C-shape), as user-editable JSON."""

from __future__ import annotations

import json
from pathlib import Path

from textgrad_sci.losses.plan_goals import Goal, goals_from_json

from .cases import BUILT_IN

GOAL_DIR = Path(__file__).with_name("goal_sets")


def _read_sets() -> dict[str, dict]:
    """The built-in goal files (goal_sets/*.json): each names its source."""
    files = sorted(GOAL_DIR.glob("*.json"))
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in files}


# Values given as "NNN%" are percentages of the case's prescription dose.
GOAL_DOCS: dict[str, dict] = _read_sets()
GOAL_SETS: dict[str, list[dict]] = {name: doc["goals"] for name, doc in GOAL_DOCS.items()}


def goal_set_json(name: str) -> str:
    """The built-in goal set ``name`` as JSON text (to save, edit and pass back with --goals)."""
    if name not in GOAL_SETS:
        raise ValueError(f"no built-in goal set {name!r}; known: {sorted(GOAL_SETS)}")
    return json.dumps(GOAL_DOCS[name], indent=2)


def goals_source(goals: str | None, case: str) -> str:
    """The goal set a run uses: ``--goals`` when given, else the case's built-in set (a matRad
    ``NAME.mat`` phantom takes ``name-matrad``, e.g. TG119.mat -> tg119-matrad)."""
    if goals:
        return goals
    path = Path(case)
    name = f"{path.stem.lower()}-matrad" if path.suffix.lower() == ".mat" else case
    if name in GOAL_SETS:
        return name
    raise ValueError(f"case {case!r} has no built-in goals: pass --goals FILE.json (start "
                     f"from `textgrad-sci radiotherapy goals {BUILT_IN[0]}`)")


def check_structures(goals: list[Goal], structures) -> list[Goal]:
    """Raise a one-line ValueError naming the first goal whose structure the case lacks."""
    names = sorted(structures)
    for i, goal in enumerate(goals):
        if goal.structure not in structures:
            raise ValueError(f"goal {i + 1} ({goal.label}): structure {goal.structure!r} is not "
                             f"in the case (structures: {names})")
    return goals


def load_goals(source: str | Path, prescription_gy: float, structures=None) -> list[Goal]:
    """Goals from a built-in set name or a JSON file path; checked against ``structures``
    (the case's structure names) when given."""
    goals = _load(source, prescription_gy)
    return goals if structures is None else check_structures(goals, structures)


def _load(source: str | Path, prescription_gy: float) -> list[Goal]:
    if str(source) in GOAL_SETS:
        return goals_from_json(goal_set_json(str(source)), prescription_gy)
    path = Path(source)
    if not path.is_file():
        raise ValueError(f"goal set {source!r} is neither a built-in set {sorted(GOAL_SETS)} "
                         "nor a JSON file")
    try:
        return goals_from_json(path.read_text(encoding="utf-8"), prescription_gy)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err.msg}, line {err.lineno})") from None
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
