"""The tuning problem run by :func:`textgrad_sci.loop.optimize`: the plan is the one parameter, its
clinical-goal report the loss. The LLM planner (``TGD``) and the baseline random search over the
same weights (``RandomSearch``) are two optimizers of the same problem, at equal budget (one new
plan evaluation per step), recording the same fields."""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np
from textgrad_sci.losses.plan_goals import Goal, PlanEvaluation, PlanGoalLoss

from textgrad_sci.optimizer import TGD, Optimizer, RandomSearch
from textgrad_sci.options import UsageError

from . import radiotherapy_prompts as prompts
from .plan import PlanSchema, dump_plan, example_plan, plan_variable
from .plots import write_plots
from .report import report_fields
from .table import goals_table

TUNERS = ("textgrad", "random")


@dataclass
class TuneResult:
    """Goal numbers per iteration (0 = the starting plan, last = the final plan), the plans, and
    the full evaluations (with dose) of the starting and the final plan."""

    rows: list[dict] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)
    initial: PlanEvaluation | None = None
    final: PlanEvaluation | None = None

    @property
    def best_index(self) -> int:
        return min(range(len(self.rows)), key=lambda i: (self.rows[i]["score"], -i))

    def summary(self) -> dict:
        first, last, best = self.rows[0], self.rows[-1], self.rows[self.best_index]
        return {
            "iterations": len(self.rows) - 1,
            "goals_total": first["goals_total"],
            "goals_met_initial": first["goals_met"],
            "goals_met_final": last["goals_met"],
            "goals_met_best": best["goals_met"],
            "score_initial": first["score"],
            "score_final": last["score"],
            "score_best": best["score"],
            "best_iteration": self.best_index,
            "best_plan": self.plans[self.best_index],
        }


def make_loss(case, goals: Sequence[Goal], **kwargs) -> PlanGoalLoss:
    """The plan-goal loss for ``case`` with this domain's plan parser."""
    return PlanGoalLoss(case, goals, PlanSchema.for_case(case).objectives, **kwargs)


class PlanTuning:
    """The problem: each step evaluates the current plan (its goal report is the loss)."""

    def __init__(self, loss: PlanGoalLoss, plan: str, engine=None, tuner: str = "textgrad",
                 out: TextIO | None = None, dicom_dir: str | None = None):
        self.loss, self.engine, self.tuner, self.out = loss, engine, tuner, out
        self.dicom_dir = dicom_dir
        self.plan = plan_variable(loss.case, plan)
        self.parameters = [self.plan]
        self.rows: list[dict] = []
        self.plans: list[str] = []

    def restore(self, steps: list[dict]) -> None:
        self.rows = [s["goals"] for s in steps]
        self.plans = [s["evaluated_plan"] for s in steps]

    def forward(self, step: int, seed: int):
        self.plans.append(self.plan.value)
        return self.loss(self.plan)

    def record(self, step: int, updates: list) -> dict:
        numbers = self.loss.evaluate(self.plans[-1]).numbers
        self.rows.append(numbers)
        missed = numbers["goals_total"] - numbers["goals_met"]
        losses = {"goals_met": float(numbers["goals_met"]), "goals_missed": float(missed),
                  "goal_score": float(numbers["score"])}
        return {"losses": losses, "evaluated_plan": self.plans[-1], "goals": numbers}

    def progress(self, fields: dict) -> str:
        goals = fields["goals"]
        return f"met={goals['goals_met']}/{goals['goals_total']}, score={goals['score']:.3f}"

    def result(self) -> TuneResult:
        """The recorded rows plus the final plan; only the first and the final plan are
        evaluated again (from the cache, or by one FMO each after a resume)."""
        final = self.loss.evaluate(self.plan.value)
        initial = self.loss.evaluate(self.plans[0]) if self.plans else final
        return TuneResult([*self.rows, final.numbers], [*self.plans, self.plan.value],
                          initial.detail, final.detail)

    def summary(self) -> dict:
        return {**self.result().summary(), "tuner": self.tuner}

    def write_artifacts(self, run_dir: Path, summary: dict) -> None:
        """The goals table (printed and saved), the final plan, the plots, the report's goal and
        dose fields and, with ``dicom_dir``, the final plan's DICOM files (in the summary)."""
        result = self.result()
        table = goals_table(result.rows)
        print(table, file=self.out or sys.stdout)
        (run_dir / "goals_table.txt").write_text(table + "\n", encoding="utf-8")
        (run_dir / "final_plan.json").write_text(result.plans[-1] + "\n", encoding="utf-8")
        plots = write_plots(self.loss.case, result, run_dir / "plots")
        summary["plots"] = [str(p.relative_to(run_dir)) for p in plots]
        summary.update(report_fields(self.loss.case, self.loss.goals, result.initial,
                                     result.final))
        if self.dicom_dir and result.final.dose is not None:
            from .dicom import export_dicom

            try:
                files = export_dicom(self.loss.case, result.final.dose, self.dicom_dir)
            except ValueError as err:
                raise UsageError(f"--export-dicom {self.dicom_dir}: {err}") from None
            summary["dicom"] = {k: str(v) for k, v in files.items()}


def weight_move(schema: PlanSchema, seed: int, sigma: float):
    """The random tuner's move: every weight times a log-normal factor (dose levels unchanged).
    The step's generator is mixed with ``seed`` so that runs with other seeds do not share
    their moves."""

    def propose(plan: str, rng: random.Random) -> str:
        normal = np.random.default_rng([seed, rng.getrandbits(32)]).normal
        return dump_plan([{**o, "weight": float(np.clip(round(
            o["weight"] * math.exp(normal(0, sigma)), 2), 0.01, 1000.0))}
            for o in schema.parse(plan)])

    return propose


def plan_optimizer(problem: PlanTuning, config) -> Optimizer:
    """``TGD`` (the problem's engine proposes plans; gated on the goal score) or the random
    search."""
    loss, params = problem.loss, problem.parameters
    if config.tuner == "random":
        schema = PlanSchema.for_case(loss.case)
        return RandomSearch(params, weight_move(schema, config.seed, config.sigma), loss.score,
                            seed=config.seed)
    return TGD(
        params,
        engine=problem.engine,
        constraints=prompts.CONSTRAINTS,
        in_context_examples=[example_plan(loss.case)] if config.examples else [],
        gradient_memory=config.memory,
        max_retries=2,
        score_fn=loss.score if config.gating else None,
        minimize=True,
        sampling={"temperature": config.temperature, "max_tokens": config.max_tokens,
                  "seed": config.seed},
    )
