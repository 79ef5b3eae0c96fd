"""Clinical goal sets per case (prostate, TG-119 C-shape), as user-editable JSON."""

from __future__ import annotations

import json
from pathlib import Path

from textgrad_sci.losses.plan_goals import Goal, goals_from_json

# Values given as "NNN%" are percentages of the case's prescription dose.
GOAL_SETS: dict[str, list[dict]] = {
    "prostate": [
        {"structure": "PTV", "metric": "D95", "op": ">=", "value": "100%"},
        {"structure": "PTV", "metric": "max", "op": "<=", "value": "107%"},
        {"structure": "RECTUM", "metric": "V70", "op": "<=", "value": 20},
        {"structure": "RECTUM", "metric": "V50", "op": "<=", "value": 50},
        {"structure": "BLADDER", "metric": "V70", "op": "<=", "value": 35},
        {"structure": "FEMUR_L", "metric": "max", "op": "<=", "value": 50},
        {"structure": "FEMUR_R", "metric": "max", "op": "<=", "value": 50},
    ],
    "tg119": [
        {"structure": "PTV", "metric": "D95", "op": ">=", "value": 50},
        {"structure": "PTV", "metric": "D10", "op": "<=", "value": 55},
        {"structure": "CORE", "metric": "D10", "op": "<=", "value": 25},
    ],
}


def goal_set_json(name: str) -> str:
    """The built-in goal set ``name`` as JSON text (to save, edit and pass back with --goals)."""
    if name not in GOAL_SETS:
        raise ValueError(f"no built-in goal set {name!r}; known: {sorted(GOAL_SETS)}")
    return json.dumps({"goals": GOAL_SETS[name]}, indent=2)


def load_goals(source: str | Path, prescription_gy: float) -> list[Goal]:
    """Goals from a built-in set name or a JSON file path."""
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
