"""The benchmark's oracle: one objective call per distinct molecule, charged against a budget.

Budget accounting (as DOCKSTRING and PMO count it): a molecule is charged the first time the
objective scores it (its docks); asking again is a cache hit and free; a SMILES that does not
parse is never docked and free; cheap RDKit numbers are free. Once the budget is spent, a new
molecule gets the objective's worst value without being docked, so no strategy can exceed it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from textgrad_sci.losses.chem.objectives import WORST, ObjectiveScore
from textgrad_sci.losses.chem.smiles import SmilesError, check_molecule

SPENT = "the oracle budget of {budget} calls is spent"


class Oracle:
    """``oracle(smiles) -> ObjectiveScore`` through ``scorer`` (e.g. ``score_objective`` with a
    docking service), at most ``budget`` distinct molecules. ``trace`` holds the value of every
    charged call in order; ``curve()`` the best value after each."""

    def __init__(self, scorer: Callable[[str], ObjectiveScore], budget: int,
                 objective: str = "") -> None:
        if budget < 1:
            raise ValueError("the budget must be at least 1 oracle call")
        self.scorer, self.budget, self.objective = scorer, budget, objective
        self.cache: dict[str, ObjectiveScore] = {}
        self.trace: list[tuple[str, float]] = []
        self.refused = 0
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        return len(self.trace)

    @property
    def exhausted(self) -> bool:
        return self.calls >= self.budget

    def __call__(self, smiles: str) -> ObjectiveScore:
        try:
            key = check_molecule(smiles).canonical
        except SmilesError as err:
            return ObjectiveScore(smiles, self.objective, error=str(err))
        with self._lock:
            if key in self.cache:
                return self.cache[key]
            if self.exhausted:
                self.refused += 1
                return ObjectiveScore(smiles, self.objective, canonical=key,
                                      error=SPENT.format(budget=self.budget))
            score = self.scorer(key)
            self.cache[key] = score
            self.trace.append((key, score.value))
            return score

    def value(self, smiles: str) -> float:
        return self(smiles).value

    def curve(self) -> list[float]:
        """Best (lowest) objective after each charged call."""
        out, best = [], WORST
        for _, value in self.trace:
            best = min(best, value)
            out.append(best)
        return out

    def best(self) -> ObjectiveScore | None:
        if not self.trace:
            return None
        key = min(self.trace, key=lambda t: t[1])[0]
        return self.cache[key]
