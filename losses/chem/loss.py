"""The molecule loss: QED, Vina, Lipinski and SA rendered as text the backward pass can use,
with the numbers attached to the output variable; every failure becomes feedback text."""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from textgrad_sci.llm_ops import send_feedback
from textgrad_sci.tool_loss import Measurement, ToolLoss
from textgrad_sci.variable import Variable

from . import loss_prompts as prompts
from .properties import lipinski, properties
from .references import reference_drugs
from .smiles import SmilesError, check_molecule

if TYPE_CHECKING:
    from textgrad_sci.engines.base import Engine

    from .docking import DockingService


def objective(qed: float | None, vina: float | None) -> float | None:
    """The combined score to maximize: ``QED - Vina/10`` (both terms of order 1), or None."""
    if qed is None or vina is None:
        return None
    return qed - vina / 10.0


@dataclass
class MoleculeScores:
    """The tool numbers of one molecule (None where a tool did not run or failed)."""

    smiles: str
    target: str | None = None
    canonical: str | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    qed: float | None = None
    sa: float | None = None
    lipinski: dict | None = None
    heavy_atoms: int | None = None
    vina: float | None = None
    vina_error: str | None = None
    objective: float | None = None

    @property
    def valid(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict:
        return {**asdict(self), "valid": self.valid}

    def numbers(self) -> dict[str, float]:
        """The numeric tool values (for run logs and plots)."""
        out = {"valid": float(self.valid)}
        for key in ("qed", "sa", "vina", "objective"):
            value = getattr(self, key)
            if value is not None:
                out[key] = float(value)
        if self.lipinski:
            out["lipinski_violations"] = float(self.lipinski["violations"])
        return out


def score_molecule(
    smiles: str, target: str | None = None, service: DockingService | None = None
) -> MoleculeScores:
    """Check and score one SMILES; never raises for a bad molecule or a failed dock."""
    scores = MoleculeScores(smiles=smiles, target=target)
    try:
        molecule = check_molecule(smiles)
    except SmilesError as err:
        scores.error = str(err)
        return scores
    props = properties(molecule.mol)
    scores.canonical = molecule.canonical
    scores.warnings = molecule.warnings
    scores.heavy_atoms = molecule.heavy_atoms
    scores.qed, scores.sa = props["qed"], props["sa"]
    scores.lipinski = lipinski(molecule.mol).to_dict()
    if target is not None and service is not None:
        result = service.dock(molecule.canonical, target)
        scores.vina, scores.vina_error = result.score, result.error
    # Without a target the objective is QED alone; with one, QED - Vina/10 (None if docking failed).
    scores.objective = objective(scores.qed, scores.vina) if target is not None else scores.qed
    return scores


class References:
    """Reference drugs of each target, scored once with the service's settings (then cached)."""

    def __init__(self, service: DockingService | None) -> None:
        self.service = service
        self._scores: dict[str, list[dict]] = {}
        self._lock = threading.Lock()

    def get(self, target: str) -> list[dict]:
        with self._lock:
            if target not in self._scores:
                drugs = reference_drugs(target)
                results = (
                    self.service.dock_many([(d.smiles, target) for d in drugs])
                    if self.service is not None else []
                )
                rows = []
                for drug, res in zip(drugs, results, strict=False):
                    if res.ok:
                        mol = check_molecule(drug.smiles).mol
                        rows.append({"name": drug.name, "smiles": drug.smiles,
                                     "vina": res.score, "qed": properties(mol)["qed"]})
                self._scores[target] = rows
            return self._scores[target]


def render(scores: MoleculeScores, references: list[dict] | None = None) -> str:
    """The text a model reads about one molecule: each number with its meaning."""
    if not scores.valid:
        return prompts.INVALID.format(smiles=scores.smiles, error=scores.error)
    note = prompts.CANONICAL_NOTE.format(canonical=scores.canonical)
    lines = [prompts.HEADER.format(
        smiles=scores.smiles, canonical_note=note if scores.canonical != scores.smiles else ""
    )]
    lines.append(prompts.QED.format(qed=scores.qed))
    if scores.target is not None:
        if scores.vina is not None:
            lines.append(prompts.VINA.format(target=scores.target, vina=scores.vina))
            if references:
                lines.append(_reference_line(scores, references))
        elif scores.vina_error is not None:
            lines.append(prompts.VINA_FAILED.format(target=scores.target, error=scores.vina_error))
    lip = scores.lipinski or {}
    broken = [r for r in _broken(lip)]
    lines.append(prompts.LIPINSKI.format(**lip, broken=": " + "; ".join(broken) if broken else ""))
    lines.append(prompts.SA.format(sa=scores.sa))
    lines.extend(prompts.WARNING.format(warning=w) for w in scores.warnings)
    if scores.objective is not None:
        template = prompts.OBJECTIVE if scores.target is not None else prompts.OBJECTIVE_QED
        lines.append(template.format(objective=scores.objective))
    lines.append(prompts.GOAL if scores.target is not None else prompts.GOAL_QED)
    return "\n".join(lines)


def _broken(lip: dict) -> list[str]:
    from .properties import Lipinski

    return Lipinski(**lip).broken() if lip else []


def _reference_line(scores: MoleculeScores, refs: list[dict]) -> str:
    mean_vina = sum(r["vina"] for r in refs) / len(refs)
    mean_qed = sum(r["qed"] for r in refs) / len(refs)
    delta = scores.vina - mean_vina  # type: ignore[operator]
    return prompts.REFERENCE_LINE.format(
        target=scores.target,
        items=", ".join(prompts.REFERENCE_ITEM.format(**r) for r in refs),
        mean_vina=mean_vina, mean_qed=mean_qed, delta=abs(delta),
        direction="weaker than" if delta > 0 else "stronger than",
    )


def suggestions(smiles: str, n: int = 4, seed: int = 0) -> list[str]:
    """Lines proposing concrete one-edit analogues of ``smiles`` (empty if there are none)."""
    from .edits import analogues

    found = analogues(smiles, n=n, seed=seed)
    if not found:
        return []
    items = [prompts.ANALOGUE.format(smiles=s, change=c) for s, c in found]
    return [prompts.ANALOGUES, *items]


def hints(scores: MoleculeScores) -> list[str]:
    """Rule-based advice derived from the numbers (used in "tool" feedback mode)."""
    if not scores.valid:
        return [prompts.HINT_INVALID]
    out, lip = [], scores.lipinski or {}
    heavy = scores.heavy_atoms or 0
    if heavy < 18:
        out.append(prompts.HINT_SMALL.format(heavy=heavy))
    elif heavy > 38:
        out.append(prompts.HINT_LARGE.format(heavy=heavy))
    if lip.get("logp", 0) > 5:
        out.append(prompts.HINT_LOGP.format(logp=lip["logp"]))
    elif lip.get("logp", 0) < 0:
        out.append(prompts.HINT_POLAR.format(logp=lip["logp"]))
    if (scores.sa or 0) > 4:
        out.append(prompts.HINT_SA.format(sa=scores.sa))
    if (scores.qed or 0) < 0.5:
        out.append(prompts.HINT_QED.format(qed=scores.qed))
    return out or [prompts.HINT_KEEP]


class MoleculeLoss(ToolLoss):
    """Score a SMILES variable with RDKit and (given a target and a service) AutoDock Vina.

    feedback: "tool" writes the rendering plus rule-based hints onto the molecule (no model
        call); "llm" asks ``engine`` to critique the molecule in the light of the rendering.
    analogues: how many concrete one-edit analogues (RDKit edits) the tool feedback suggests;
        a small model improves mostly by picking among them. ``seed`` varies which.

    ``evaluate(smiles)`` measures a molecule once per canonical SMILES: its ``numbers`` are the
    scores (``MoleculeScores.to_dict()``) with ``references`` and the flat ``numbers``, its
    ``detail`` the :class:`MoleculeScores`, its ``score`` minus the objective (+inf unscored).
    """

    role = prompts.OUTPUT_ROLE
    feedback_via = prompts.OUTPUT_ROLE

    def __init__(
        self,
        target: str | None = None,
        service: DockingService | None = None,
        references: bool = True,
        feedback: str = "tool",
        engine: Engine | str | None = None,
        analogues: int = 4,
        seed: int = 0,
    ) -> None:
        if feedback not in ("tool", "llm"):
            raise ValueError("feedback must be 'tool' or 'llm'")
        if target is not None:
            from .targets import load_target

            target = load_target(target).name
        self.target = target
        self.service = service
        self.references = References(service) if references else None
        self.feedback_mode = feedback
        self.engine = engine
        self.analogues = analogues
        self.seed = seed

    def canonical(self, value: str) -> str:
        try:
            return check_molecule(value).canonical
        except SmilesError:
            return value.strip()

    def measure(self, value: str) -> Measurement:
        scores = score_molecule(value, self.target, self.service)
        refs = self.reference_scores() if scores.vina is not None else []
        numbers = {**scores.to_dict(), "references": refs, "numbers": scores.numbers()}
        return Measurement(
            numbers, render(scores, refs), math.inf if scores.objective is None
            else -scores.objective, hints(scores), scores.error, scores,
        )

    def reference_scores(self, target: str | None = None) -> list[dict]:
        target = target or self.target
        if self.references is None or target is None:
            return []
        return self.references.get(target)

    def role_of(self, variable: Variable) -> str:
        return prompts.OUTPUT_ROLE

    def feedback(self, measurement: Measurement, variable: Variable) -> str:
        """The rendering, the hints and (for a valid molecule) one-edit analogues of it."""
        lines = list(measurement.hints)
        if self.analogues and measurement.ok:
            lines += suggestions(variable.value, self.analogues, self.seed)
        return "\n".join([measurement.text, *lines])

    def send_feedback(
        self, output: Variable, variable: Variable, measurement: Measurement, engine: Engine | None
    ) -> None:
        if self.feedback_mode == "llm":
            send_feedback(self.backward_engine(engine), output, output.value, [variable])
        else:
            super().send_feedback(output, variable, measurement, engine)
