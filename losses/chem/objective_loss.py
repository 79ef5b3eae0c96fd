"""A tool loss for a benchmark objective (``objectives.py``): its value as the score (lower is
better), its parts and QED's costliest terms as text, and the candidate edits of the molecule with
their cheap RDKit effects as feedback. The expensive scoring goes through ``scorer`` (e.g. a
budgeted oracle), so every strategy that uses this loss is charged the same way."""

from __future__ import annotations

from collections.abc import Callable

from textgrad_sci.tool_loss import Measurement, ToolLoss
from textgrad_sci.variable import Variable

from . import guidance_prompts as prompts
from .guidance import edit_effects, render_edits, render_pose, render_terms
from .objectives import Objective, ObjectiveScore, get_objective, qed_penalty
from .smiles import SmilesError, check_molecule

Scorer = Callable[[str], ObjectiveScore]


def render_objective(score: ObjectiveScore, objective: Objective) -> list[str]:
    """The objective, each part it is made of, and why a molecule got the worst value."""
    lines = [prompts.HEADER.format(smiles=score.smiles, objective=objective.name,
                                   value=score.value, formula=objective.formula)]
    if score.qed is not None:
        lines.append(prompts.PART_QED.format(qed=score.qed, penalty=qed_penalty(score.qed)))
    for target, vina in score.vina.items():
        lines.append(prompts.PART_VINA_FAILED.format(target=target) if vina is None
                     else prompts.PART_VINA.format(target=target, vina=vina))
    if score.error:
        lines.append(prompts.FAILED.format(value=score.value, error=score.error))
    return lines


class ObjectiveLoss(ToolLoss):
    """``measure`` scores with ``scorer``; ``feedback`` adds ``edits`` candidate edits (picked by
    ``seed``, as the analogue grammar and the random baseline pick them) with their effects."""

    role = "objective report"

    def __init__(self, objective: Objective | str, scorer: Scorer, edits: int = 4,
                 seed: int = 0) -> None:
        self.objective = get_objective(objective) if isinstance(objective, str) else objective
        self.scorer, self.edits, self.seed = scorer, edits, seed

    def canonical(self, value: str) -> str:
        try:
            return check_molecule(value).canonical
        except SmilesError:
            return value.strip()

    def measure(self, value: str) -> Measurement:
        score = self.scorer(value)
        lines = render_objective(score, self.objective)
        hints: list[str] = []
        if score.canonical is not None:
            hints = render_terms(check_molecule(score.canonical).mol)
            hints += render_pose(score.canonical, score.contacts)
        return Measurement(score.to_dict(), "\n".join(lines), score.value, hints, score.error,
                           score)

    def feedback(self, measurement: Measurement, variable: Variable) -> str:
        score = measurement.detail
        primary = score.contacts.get(self.objective.targets[0]) if score is not None else None
        effects = (edit_effects(variable.value, self.edits, self.seed, primary)
                   if self.edits else [])
        return "\n".join([measurement.text, *measurement.hints, *render_edits(effects),
                          prompts.GOAL])
