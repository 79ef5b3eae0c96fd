"""The population strategy: a pool of scored molecules; each step takes a parent from the Pareto
front of (QED, docking), as GEPA picks its candidates, and proposes one child from the parent's
textual gradient (the objective report, QED's costliest terms, the candidate edits and their
cheap effects), as MolLEO puts a language model inside a genetic algorithm. The child is scored by
the objective and joins the pool if it beats the pool's worst member. With ``chooser="random"``
the model's choice is replaced by a random one: the ablation."""

from __future__ import annotations

import random
from typing import Any

from textgrad_sci.losses.chem.guidance import edit_effects
from textgrad_sci.losses.chem.objective_loss import ObjectiveLoss
from textgrad_sci.losses.chem.objectives import WORST

from textgrad_sci.formats import TagFormat
from textgrad_sci.optimizer import TGD, Optimizer, UpdateReport
from textgrad_sci.variable import Variable

from . import molecule_prompts as prompts
from .pareto import pareto_front
from .validation import SMILES_TAG, smiles_variable


def _entry(loss: ObjectiveLoss, smiles: str) -> dict:
    """A pool member: its objective, QED and docking part (the objective at QED 1)."""
    m = loss.evaluate(smiles)
    score = m.detail
    dock = None
    if score.error is None and all(v is not None for v in score.vina.values()):
        dock = loss.objective.value(score.vina, 1.0)
    return {"smiles": score.canonical or smiles, "canonical": score.canonical,
            "value": float(m.score), "qed": score.qed, "vina": dock}


class PopulationSearch(Optimizer):
    """Pareto-front parents, one child per step. ``variable`` (the loop's parameter) always holds
    the pool's best molecule. ``chooser``: ``"model"`` (``engine`` picks among the candidate
    edits, grammar-constrained) or ``"random"``."""

    uses_feedback = False

    def __init__(self, variable: Variable, loss: ObjectiveLoss, chooser: str = "model",
                 engine: Any = None, pool_size: int = 8, sampling: dict | None = None,
                 max_retries: int = 1) -> None:
        super().__init__([variable])
        if chooser not in ("model", "random"):
            raise ValueError("chooser must be 'model' or 'random'")
        self.variable, self.loss, self.chooser = variable, loss, chooser
        self.pool_size, self.seed = pool_size, 0
        self.pool: list[dict] = []
        self.scratch = smiles_variable(variable.value, name="child", check=False)
        self.tgd = (TGD([self.scratch], engine=engine, constraints=prompts.CONSTRAINTS,
                        max_retries=max_retries, sampling=sampling) if chooser == "model"
                    else None)

    def set_seed(self, seed: int) -> None:
        self.seed = seed

    def _parents(self, rng: random.Random) -> list[dict]:
        """Pareto-front members in random order, then the rest of the pool by objective."""
        front = pareto_front([p for p in self.pool if p["vina"] is not None])
        rng.shuffle(front)
        keys = {p["canonical"] for p in front}
        rest = sorted((p for p in self.pool if p["canonical"] not in keys),
                      key=lambda p: p["value"])
        return front + rest

    def step(self) -> list[UpdateReport]:
        rng = random.Random(self.seed)
        if not self.pool:
            self.pool.append(_entry(self.loss, self.variable.value))
        report = UpdateReport(variable=self.variable.name, old_value=self.variable.value)
        self.loss.seed = self.seed
        for parent in self._parents(rng):
            scored = {p["canonical"] for p in self.pool}
            options = [e.smiles for e in edit_effects(parent["smiles"], self.loss.edits,
                                                      self.seed) if e.smiles not in scored]
            if options:
                break
        else:
            report.reason = "no unscored one-edit child of any pool member"
            self.history.append([report])
            return [report]
        report.old_value, report.score_before = parent["smiles"], parent["value"]
        child = self._choose(parent, options, rng, report)
        if child is None:
            self.history.append([report])
            return [report]
        entry = _entry(self.loss, child)
        report.new_value, report.score_after = child, entry["value"]
        worst = max(self.pool, key=lambda p: p["value"])
        if entry["value"] < WORST and (len(self.pool) < self.pool_size
                                       or entry["value"] < worst["value"]):
            if len(self.pool) >= self.pool_size:
                self.pool.remove(worst)
            self.pool.append(entry)
            report.accepted, report.reason = True, "joined the pool"
        else:
            report.reason = "rejected: not better than the pool's worst member"
        self.variable.value = min(self.pool, key=lambda p: p["value"])["smiles"]
        self.history.append([report])
        return [report]

    def _choose(self, parent: dict, options: list[str], rng: random.Random,
                report: UpdateReport) -> str | None:
        report.attempts = 1
        if self.tgd is None:
            return rng.choice(options)
        scratch = self.scratch
        scratch.value = parent["smiles"]
        scratch.reset_gradients()
        measurement = self.loss.evaluate(parent["smiles"])
        scratch.add_gradient(self.loss.feedback(measurement, scratch), source="objective")
        scratch.output_format = TagFormat(tag=SMILES_TAG,
                                          body_gbnf=" | ".join(f'"{s}"' for s in options))
        self.tgd.sampling["seed"] = self.seed
        inner = self.tgd.step()[0]
        report.attempts, report.errors = inner.attempts, inner.errors
        if inner.new_value is None:
            report.reason = inner.reason
            return None
        return inner.new_value

    def state_dict(self) -> dict:
        return {"pool": [dict(p) for p in self.pool]}

    def load_state_dict(self, state: dict) -> None:
        self.pool = [dict(p) for p in state.get("pool", [])]
