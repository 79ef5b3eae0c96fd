"""Sensitivity feedback of a plan: for each objective weight, what doubling and halving it does
to every goal's metric (one warm-started fluence optimization each), rendered in a few lines a
small model can act on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from . import plan_goals_prompts as prompts

FACTORS = (2.0, 0.5)
MAX_WEIGHT = 1000.0
SHOWN = 3  # goal changes per line
MIN_DELTA = 0.05  # in the goal's unit (Gy or %)


@dataclass
class Probe:
    """One weight change: the objective's index, its old and new weight, the goal results
    (None when the optimization failed)."""

    index: int
    old: float
    new: float
    results: list | None


def probe_order(objectives: Sequence[Any], results: Sequence[Any], target: str) -> list[int]:
    """Objectives to probe, most useful first: on a structure with a missed goal, then on the
    target, then the rest (each group in plan order); zero weights are skipped."""
    missed = {r.goal.structure for r in results if not r.met}

    def rank(i: int) -> int:
        s = objectives[i].structure
        return 0 if s in missed else 1 if s == target else 2

    return sorted((i for i, o in enumerate(objectives) if o.weight > 0), key=rank)


def probed_objectives(objectives: Sequence[Any], index: int, factor: float) -> tuple[list, float]:
    """The objectives with objective ``index``'s weight times ``factor`` (capped), and that
    weight."""
    new = min(objectives[index].weight * factor, MAX_WEIGHT)
    changed = list(objectives)
    changed[index] = replace(objectives[index], weight=new)
    return changed, new


def _num(x: float) -> str:
    return f"{round(x, 2):g}"


def _changes(base: Sequence[Any], after: Sequence[Any]) -> str:
    """The largest goal-metric changes (missed goals first) and goals that flip."""
    items = []
    for b, a in zip(base, after, strict=True):
        delta = a.actual - b.actual
        label, unit = b.goal.label, b.goal.unit
        if b.met != a.met:
            flip = prompts.SENS_FLIP_MET if a.met else prompts.SENS_FLIP_MISSED
            items.append((0, 0.0, flip.format(label=label) + f" ({delta:+.1f} {unit})"))
        elif abs(delta) >= MIN_DELTA:
            rel = abs(delta) / max(abs(b.goal.value), 1.0)
            text = prompts.SENS_CHANGE.format(label=label, delta=delta, unit=unit)
            items.append((1 if not b.met else 2, -rel, text))
    items.sort(key=lambda t: (t[0], t[1]))
    return ", ".join(t for _, _, t in items[:SHOWN]) or prompts.SENS_NO_CHANGE


def render_sensitivity(objectives: Sequence[Any], base: Sequence[Any], probes: Sequence[Probe],
                       wanted: int) -> str:
    """The sensitivity block: one line per probe; says when the budget cut it short."""
    lines = [prompts.SENS_HEADER]
    for p in probes:
        o = objectives[p.index]
        fields = dict(structure=o.structure, kind=o.kind, old=_num(p.old), new=_num(p.new))
        if p.results is None:
            lines.append(prompts.SENS_FAILED.format(**fields))
            continue
        lines.append(prompts.SENS_LINE.format(changes=_changes(base, p.results),
                                              met=sum(r.met for r in p.results),
                                              total=len(p.results), **fields))
    if len(probes) < wanted:
        lines.append(prompts.SENS_PARTIAL.format(done=len(probes), wanted=wanted))
    return "\n".join(lines)


def sensitivity_numbers(objectives: Sequence[Any], probes: Sequence[Probe]) -> list[dict]:
    """JSON-safe probe results (recorded with the loss numbers)."""
    return [{"structure": objectives[p.index].structure, "kind": objectives[p.index].kind,
             "weight": p.old, "new_weight": p.new,
             "metrics": None if p.results is None else
             {r.goal.label: round(r.actual, 4) for r in p.results}} for p in probes]
