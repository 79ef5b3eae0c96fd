"""One benchmark run: a (strategy, starting molecule, seed) triple optimized through
:func:`textgrad_sci.loop.optimize` until its oracle budget is spent."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

from textgrad_sci.losses.chem.edits import analogues
from textgrad_sci.losses.chem.objective_loss import ObjectiveLoss
from textgrad_sci.losses.chem.objectives import WORST, ObjectiveScore

from textgrad_sci.engines.base import EngineError
from textgrad_sci.loop import RunStopped, optimize
from textgrad_sci.optimizer import TGD, Optimizer, RandomSearch
from textgrad_sci.run import Run
from textgrad_sci.variable import Variable

from . import molecule_prompts as prompts
from .bench import STRATEGIES
from .graph_ga import GraphGA
from .oracle import Oracle
from .population import PopulationSearch
from .validation import smiles_variable
from .workflow import analogue_format


class BenchProblem:
    """The loop's problem: the current molecule, its objective report as the loss, stopped
    once the oracle has spent its budget."""

    def __init__(self, variable: Variable, loss: ObjectiveLoss, oracle: Oracle,
                 grammar: bool) -> None:
        self.variable, self.loss, self.oracle, self.grammar = variable, loss, oracle, grammar
        self.parameters = [variable]
        self.engine = None

    def forward(self, step: int, seed: int) -> Variable:
        """The objective report of the current molecule; with ``grammar``, the model may only
        answer with one of the candidate edits the feedback lists (the same seed)."""
        self.loss.seed = seed
        if self.grammar:
            self.variable.output_format = analogue_format(self.variable.value, self.loss.edits,
                                                          seed)
        return self.loss(self.variable)

    def stop(self) -> bool:
        return self.oracle.exhausted

    def record(self, step: int, updates: list) -> dict:
        best = self.oracle.curve()[-1] if self.oracle.trace else WORST
        return {"losses": {"best": best, "calls": self.oracle.calls},
                "choices": [_choice(u) for u in updates]}

    def summary(self) -> dict:
        return {"calls": self.oracle.calls}


def _choice(report: Any) -> dict:
    return {"from": report.old_value, "to": report.new_value, "accepted": report.accepted,
            "reason": report.reason, "errors": len(report.errors),
            "before": report.score_before, "after": report.score_after}


def make_optimizer(strategy: str, variable: Variable, loss: ObjectiveLoss, engine: Any,
                   sampling: dict, pool_size: int) -> Optimizer:
    """The strategy's optimizer; every one scores through ``loss`` (the budgeted oracle)."""
    if strategy == "textgrad":
        return TGD([{"params": [variable], "score_fn": loss.score}], engine=engine,
                   constraints=prompts.CONSTRAINTS, max_retries=1, minimize=True,
                   sampling=dict(sampling))
    if strategy == "random":
        def propose(value: str, rng: random.Random) -> str:
            found = analogues(value, n=loss.edits, seed=loss.seed)
            if not found:
                raise ValueError("the molecule has no one-edit analogues")
            return rng.choice(found)[0]

        return RandomSearch([{"params": [variable], "score_fn": loss.score}], propose)
    if strategy == "graph-ga":
        return GraphGA(variable, loss)
    if strategy in ("population", "population-random"):
        chooser = "model" if strategy == "population" else "random"
        return PopulationSearch(variable, loss, chooser, engine=engine if chooser == "model"
                                else None, pool_size=pool_size, sampling=dict(sampling))
    raise ValueError(f"unknown strategy {strategy!r}: choose from {', '.join(STRATEGIES)}")


def _brief(score: ObjectiveScore | None) -> dict | None:
    if score is None:
        return None
    return {"smiles": score.canonical or score.smiles, "value": score.value, "qed": score.qed,
            "vina": dict(score.vina), "error": score.error}


def run_one(strategy: str, start: str, seed: int, oracle: Oracle, engine: Any,
            run_dir: Path, *, edits: int = 4, sampling: dict | None = None,
            pool_size: int = 8) -> dict:
    """Optimize ``start`` with ``strategy`` until the oracle's budget is spent (or a step cap);
    the fields the bench records for the run: best value, calls, best-so-far curve, the final
    molecule and what each step chose. A partial run left by a killed bench starts over."""
    if run_dir.exists():
        shutil.rmtree(run_dir)
    loss = ObjectiveLoss(oracle.objective, oracle, edits=edits, seed=seed)
    variable = smiles_variable(start, name="molecule")
    variable.role_description = prompts.ROLE
    optimizer = make_optimizer(strategy, variable, loss, engine, {**(sampling or {}),
                               "seed": seed}, pool_size)
    problem = BenchProblem(variable, loss, oracle, grammar=strategy == "textgrad")
    try:
        optimize(problem, optimizer, Run(run_dir, {"strategy": strategy, "start": start,
                                                   "seed": seed}),
                 steps=5 * oracle.budget + 5, seed=seed, progress=False, finish=False)
    except RunStopped as err:  # the bench's own run is marked and resumed, not this one
        if err.status == "interrupted":
            raise KeyboardInterrupt from None
        raise EngineError(err.reason.removeprefix("the engine failed: ")) from None
    choices = [c for s in Run(run_dir).steps() for c in s.get("choices", [])]
    curve = oracle.curve()
    return {"strategy": strategy, "start": start, "seed": seed,
            "best": curve[-1] if curve else WORST, "calls": oracle.calls,
            "refused": oracle.refused, "curve": curve, "final": _brief(oracle.best()),
            "steps": len(choices), "accepted": sum(c["accepted"] for c in choices),
            "rejected": sum(1 for c in choices if c["to"] is not None and not c["accepted"]),
            "failed": sum(1 for c in choices if c["to"] is None), "choices": choices}
