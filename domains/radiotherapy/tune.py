"""The tuning workflow: textual gradient descent on the plan (the LLM as planner) and a baseline
random search over the same weights at equal budget; both record every step in a run directory."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from textgrad_sci.losses.plan_goals import Goal, PlanEvaluation, PlanGoalLoss

from textgrad_sci import TGD, Run, graph_snapshot

from . import radiotherapy_prompts as prompts
from .plan import PlanSchema, dump_plan, example_plan, initial_plan, plan_variable


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


def _losses(evaluation: PlanEvaluation) -> dict:
    n = len(evaluation.results)
    met = evaluation.goals_met
    return {"goals_met": float(met), "goals_missed": float(n - met), "goal_score": evaluation.score}


def make_loss(case, goals: Sequence[Goal], **kwargs) -> PlanGoalLoss:
    """The plan-goal loss for ``case`` with this domain's plan parser."""
    return PlanGoalLoss(case, goals, PlanSchema.for_case(case).objectives, **kwargs)


def tune_textgrad(
    loss: PlanGoalLoss,
    run: Run,
    steps: int,
    engine,
    *,
    plan: str | None = None,
    examples: Sequence[str] | None = None,
    gating: bool = True,
    memory: int = 1,
    max_retries: int = 2,
    sampling: dict | None = None,
    on_step: Callable[[int, PlanEvaluation], None] | None = None,
) -> TuneResult:
    """``steps`` textual-gradient steps on the plan. Step i evaluates the current plan, sends its
    goal report back as feedback and lets the engine propose the next plan (kept only if it does
    not score worse, when ``gating``). Resumes from ``run``."""
    case = loss.case
    variable = plan_variable(case, plan or initial_plan(case))
    if examples is None:
        examples = [example_plan(case)]
    optimizer = TGD(
        [variable],
        engine=engine,
        constraints=prompts.CONSTRAINTS,
        in_context_examples=list(examples),
        gradient_memory=memory,
        max_retries=max_retries,
        score_fn=loss.score if gating else None,
        minimize=True,
        sampling=dict(sampling or {}),
    )
    run.restore([variable], optimizer)
    base_seed = optimizer.sampling.get("seed", 0)
    for i in run.remaining(steps):
        with run.step(i) as s:
            optimizer.sampling["seed"] = base_seed + i
            with s.time("forward"):
                result = loss(variable)
            evaluated = variable.value
            optimizer.zero_grad()
            with s.time("backward"):
                result.backward(engine)
            rejected = _last_rejection(run)
            if rejected:
                variable.add_gradient(rejected, source="acceptance gate")
            with s.time("update"):
                reports = optimizer.step()
            s.record(parameters=[variable], losses=_losses(loss.evaluate(evaluated)),
                     graph=graph_snapshot(result), updates=reports, optimizer=optimizer,
                     evaluated_plan=evaluated, goals=result.data)
        if on_step:
            on_step(i, loss.evaluate(evaluated))
    return _collect(loss, run, variable.value)


def _last_rejection(run: Run) -> str | None:
    """The previous step's proposal, if the acceptance gate rejected it (so the engine does not
    propose it again)."""
    steps = run.steps()
    for update in (steps[-1].get("updates", []) if steps else []):
        if update.get("new_value") and not update.get("accepted") and update.get("score_after"):
            return prompts.REJECTED.format(value=update["new_value"],
                                           score_before=update["score_before"],
                                           score_after=update["score_after"])
    return None


def _perturb(objectives: list[dict], rng: np.random.Generator, sigma: float) -> list[dict]:
    lo, hi = 0.01, 1000.0
    out = []
    for o in objectives:
        o = dict(o)
        o["weight"] = float(np.clip(round(o["weight"] * math.exp(rng.normal(0, sigma)), 2), lo, hi))
        out.append(o)
    return out


def tune_random(
    loss: PlanGoalLoss,
    run: Run,
    steps: int,
    *,
    plan: str | None = None,
    seed: int = 0,
    sigma: float = 0.7,
    on_step: Callable[[int, PlanEvaluation], None] | None = None,
) -> TuneResult:
    """Baseline at equal budget: each step evaluates the current best plan's weights multiplied by
    random log-normal factors (dose levels unchanged) and keeps the candidate if not worse."""
    case = loss.case
    schema = PlanSchema.for_case(case)
    variable = plan_variable(case, plan or initial_plan(case))
    run.restore([variable])
    for i in run.remaining(steps):
        with run.step(i) as s:
            evaluated = variable.value
            current = loss.evaluate(evaluated)
            rng = np.random.default_rng([seed, i])
            candidate = dump_plan(_perturb(schema.parse(evaluated), rng, sigma))
            with s.time("tools"):
                proposed = loss.evaluate(candidate)
            accepted = proposed.score <= current.score
            if accepted:
                variable.value = candidate
            update = {"variable": variable.name, "old_value": evaluated, "new_value": candidate,
                      "accepted": accepted, "score_before": current.score,
                      "score_after": proposed.score, "reason": "random search"}
            s.record(parameters=[variable], losses=_losses(current), updates=[update],
                     evaluated_plan=evaluated, goals=current.numbers())
        if on_step:
            on_step(i, current)
    return _collect(loss, run, variable.value)


def _collect(loss: PlanGoalLoss, run: Run, final_plan: str) -> TuneResult:
    """Rows from the recorded steps plus the final plan; only the first and the final plan are
    evaluated again (from the cache, or by one FMO each after a resume)."""
    result = TuneResult()
    for record in run.steps():
        result.plans.append(record["evaluated_plan"])
        result.rows.append(record["goals"])
    result.final = loss.evaluate(final_plan)
    result.initial = loss.evaluate(result.plans[0]) if result.plans else result.final
    result.plans.append(final_plan)
    result.rows.append(result.final.numbers())
    return result
