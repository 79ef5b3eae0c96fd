"""Graph-GA (the ``mol-ga`` package) as a strategy: each step is one generation of Jensen's graph
crossover and mutation, scored through the same loss (and so the same budgeted oracle) as every
other strategy."""

from __future__ import annotations

import random

from textgrad_sci.losses.chem.objective_loss import ObjectiveLoss

from textgrad_sci.optimizer import Optimizer, UpdateReport
from textgrad_sci.variable import Variable


class GraphGA(Optimizer):
    """``variable`` holds the population's best molecule; ``population_size`` survivors and
    ``offspring_size`` children (oracle calls) per generation."""

    uses_feedback = False

    def __init__(self, variable: Variable, loss: ObjectiveLoss, population_size: int = 10,
                 offspring_size: int = 5) -> None:
        super().__init__([variable])
        self.variable, self.loss = variable, loss
        self.population_size, self.offspring_size, self.seed = population_size, offspring_size, 0
        self.population: list[str] = [variable.value]

    def set_seed(self, seed: int) -> None:
        self.seed = seed

    def step(self) -> list[UpdateReport]:
        from mol_ga import default_ga

        old = self.variable.value
        before = self.loss.score(old)
        result = default_ga(
            starting_population_smiles=list(self.population),
            scoring_function=lambda smiles: [-self.loss.score(s) for s in smiles],
            max_generations=1, offspring_size=self.offspring_size,
            population_size=self.population_size, rng=random.Random(self.seed),
        )
        self.population = [s for _, s in result.population]
        best = max(result.population)[1]
        self.variable.value = best
        report = UpdateReport(variable=self.variable.name, old_value=old, new_value=best,
                              accepted=best != old, attempts=1, score_before=before,
                              score_after=self.loss.score(best), reason="one generation")
        self.history.append([report])
        return [report]

    def state_dict(self) -> dict:
        return {"population": list(self.population)}

    def load_state_dict(self, state: dict) -> None:
        self.population = list(state.get("population", self.population))
