"""Benchmark objectives of molecules: DOCKSTRING's three (``benchmarks/original.py``, lower is
better) and this project's ``qed-vina``. Each names the targets it docks against and combines
their Vina scores with QED; an invalid molecule or a failed dock gets the objective's worst value
and the reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from .properties import qed as qed_of
from .smiles import SmilesError, check_molecule

if TYPE_CHECKING:
    from .docking import DockingService

WORST = 50.0  # lower is better: far above any real objective value (Vina >= -20, penalty <= 10)


def qed_penalty(qed: float) -> float:
    """DOCKSTRING's QED term: 10 * (1 - QED)."""
    return 10.0 * (1.0 - qed)


@dataclass(frozen=True)
class Objective:
    """``value(vina, qed)``: ``vina`` maps each of ``targets`` to its score (kcal/mol)."""

    name: str
    targets: tuple[str, ...]
    formula: str
    combine: Callable[[dict[str, float], float], float] = field(repr=False, compare=False)

    def value(self, vina: dict[str, float], qed: float) -> float:
        return float(self.combine(vina, qed))


OBJECTIVES: dict[str, Objective] = {
    o.name: o
    for o in (
        Objective("F2", ("F2",), "Vina(F2) + 10*(1 - QED)",
                  lambda v, q: v["F2"] + qed_penalty(q)),
        Objective("promiscuous_PPAR", ("PPARA", "PPARD", "PPARG"),
                  "max(Vina(PPARA), Vina(PPARD), Vina(PPARG)) + 10*(1 - QED)",
                  lambda v, q: max(v["PPARA"], v["PPARD"], v["PPARG"]) + qed_penalty(q)),
        Objective("selective_JAK2", ("JAK2", "LCK"),
                  "Vina(JAK2) - min(Vina(LCK) + 8.1, 0) + 10*(1 - QED)",
                  lambda v, q: v["JAK2"] - min(v["LCK"] + 8.1, 0.0) + qed_penalty(q)),
        Objective("qed-vina", ("DRD2",), "Vina(DRD2)/10 - QED (today's objective, negated)",
                  lambda v, q: v["DRD2"] / 10.0 - q),
    )
}


def get_objective(name: str) -> Objective:
    if name not in OBJECTIVES:
        raise ValueError(f"unknown objective {name!r}: choose one of {', '.join(OBJECTIVES)}")
    return OBJECTIVES[name]


@dataclass
class ObjectiveScore:
    """One molecule's objective and every part it is made of."""

    smiles: str
    objective: str
    value: float = WORST
    qed: float | None = None
    vina: dict[str, float | None] = field(default_factory=dict)
    canonical: str | None = None
    error: str | None = None
    contacts: dict[str, list[int] | None] = field(default_factory=dict)
    """Per target: receptor atoms near each heavy atom of ``canonical`` in the docked pose."""

    def to_dict(self) -> dict:
        return {**asdict(self), "objective_value": self.value}


def score_objective(
    smiles: str, objective: Objective | str, service: DockingService
) -> ObjectiveScore:
    """Dock ``smiles`` against every target of ``objective`` and combine; never raises for a bad
    molecule or a failed dock (the worst value and the reason instead)."""
    objective = get_objective(objective) if isinstance(objective, str) else objective
    score = ObjectiveScore(smiles, objective.name)
    try:
        molecule = check_molecule(smiles)
    except SmilesError as err:
        score.error = str(err)
        return score
    score.canonical, score.qed = molecule.canonical, qed_of(molecule.mol)
    results = service.dock_many([(molecule.canonical, t) for t in objective.targets])
    score.vina = {r.target: r.score for r in results}
    score.contacts = {r.target: r.contacts for r in results}
    failed = [f"{r.target}: {r.error}" for r in results if r.score is None]
    if failed:
        score.error = "docking failed (" + "; ".join(failed) + ")"
        return score
    score.value = objective.value(score.vina, score.qed)  # type: ignore[arg-type]
    return score


def render_score(score: ObjectiveScore, objective: Objective) -> str:
    """Plain text: the objective, its formula and its parts."""
    lines = [f"{score.smiles}", f"  objective {objective.name} = {score.value:.3f} "
             f"(lower is better; {objective.formula})"]
    if score.qed is not None:
        lines.append(f"  QED {score.qed:.3f} (penalty 10*(1-QED) = {qed_penalty(score.qed):.2f})")
    for target, vina in score.vina.items():
        lines.append(f"  Vina {target}: " + ("failed" if vina is None else f"{vina:.2f} kcal/mol"))
    if score.error:
        lines.append(f"  worst value because {score.error}")
    return "\n".join(lines)
