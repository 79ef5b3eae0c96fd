"""Clinical goals of a treatment plan: evaluation on a dose grid, text rendering with margins, and
the tool loss that runs fluence-map optimization for a plan and reports its goals."""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from textgrad_sci.tool_loss import Measurement, ToolLoss
from textgrad_sci.variable import Variable

from . import plan_goals_prompts as prompts

if TYPE_CHECKING:
    from textgrad_sci.engines.base import Engine

_METRIC = re.compile(r"^(?:(D)(\d+(?:\.\d+)?)|(V)(\d+(?:\.\d+)?)(?:Gy)?|(mean|max|min))$", re.I)
OPS = (">=", "<=")


@dataclass(frozen=True)
class Goal:
    """One clinical goal, e.g. ``Goal("PTV", "D95", ">=", 70)`` (D95 at least 70 Gy).

    ``metric``: ``Dxx`` (dose in Gy received by at least xx % of the structure), ``Vxx`` (percent
    of the structure receiving at least xx Gy), ``mean``, ``max`` or ``min`` (Gy).
    """

    structure: str
    metric: str
    op: str
    value: float

    def __post_init__(self) -> None:
        if not _METRIC.match(self.metric):
            raise ValueError(
                f"goal metric {self.metric!r} is not one of Dxx (e.g. D95), Vxx (e.g. V70), "
                "mean, max, min"
            )
        if self.op not in OPS:
            raise ValueError(f"goal operator {self.op!r} must be '>=' or '<='")
        if not isinstance(self.value, (int, float)) or not math.isfinite(self.value):
            raise ValueError(f"goal value {self.value!r} must be a finite number")

    @property
    def label(self) -> str:
        metric = self.metric
        if metric[0] in "Vv" and not metric.lower().endswith("gy"):
            metric += "Gy"
        return f"{self.structure} {metric}"

    @property
    def unit(self) -> str:
        return "%" if self.metric[0] in "Vv" else "Gy"

    def measure(self, dose: np.ndarray, mask: np.ndarray) -> float:
        """This goal's metric of ``dose`` on ``mask``."""
        from .dose import dose_at_volume, volume_at_dose

        d, dx, v, vx, stat = _METRIC.match(self.metric).groups()  # type: ignore[union-attr]
        if d:
            return float(dose_at_volume(dose, mask, float(dx)))
        if v:
            return float(volume_at_dose(dose, mask, float(vx)))
        values = np.asarray(dose)[np.asarray(mask, dtype=bool)]
        return float(getattr(np, stat.lower())(values))

    @classmethod
    def from_dict(cls, d: dict, prescription_gy: float | None = None) -> Goal:
        """From JSON; a value like ``"107%"`` is a percentage of the prescription."""
        missing = {"structure", "metric", "op", "value"} - set(d)
        if missing:
            raise ValueError(f"goal {d} is missing {sorted(missing)}")
        value = d["value"]
        if isinstance(value, str) and value.strip().endswith("%"):
            if prescription_gy is None:
                raise ValueError(f"goal value {value!r} needs the prescription dose")
            value = float(value.strip()[:-1]) / 100 * prescription_gy
        elif isinstance(value, str):
            raise ValueError(f"goal value {value!r} must be a number or a percentage like '107%'")
        return cls(str(d["structure"]), str(d["metric"]), str(d["op"]), float(value))

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class GoalResult:
    goal: Goal
    actual: float
    margin: float  # positive: met with this margin; negative: missed by this much

    @property
    def met(self) -> bool:
        return self.margin >= -1e-9


def evaluate_goals(dose: np.ndarray, structures: dict, goals: Sequence[Goal]) -> list[GoalResult]:
    """Measure every goal on ``dose`` (shaped like the masks)."""
    results = []
    for goal in goals:
        if goal.structure not in structures:
            raise ValueError(f"goal {goal.label}: the case has no structure {goal.structure!r}")
        actual = goal.measure(dose, structures[goal.structure])
        margin = actual - goal.value if goal.op == ">=" else goal.value - actual
        results.append(GoalResult(goal, actual, margin))
    return results


def goal_score(results: Sequence[GoalResult]) -> float:
    """Lower is better: goals missed plus their relative shortfalls (0 when every goal is met)."""
    return float(
        sum((not r.met) + max(0.0, -r.margin) / max(abs(r.goal.value), 1.0) for r in results)
    )


def _small(x: float) -> str:
    """One decimal, or two significant digits for amounts under 0.1 (a near miss stays visible)."""
    return f"{x:.1f}" if abs(x) >= 0.1 or x == 0 else f"{x:.2g}"


def render_goals(results: Sequence[GoalResult]) -> str:
    """One line per goal: met or missed, the value, the goal and the margin."""
    lines = []
    for r in results:
        g = r.goal
        fields = dict(label=g.label, actual=r.actual, op=g.op, value=g.value, unit=g.unit)
        if r.met:
            lines.append(prompts.GOAL_MET.format(margin=_small(r.margin), **fields))
        else:
            lines.append(prompts.GOAL_MISSED.format(shortfall=_small(-r.margin), **fields))
    return "\n".join(lines)


PUSH_KINDS = ("squared_underdose", "squared_deviation", "dvh_min")
LIMIT_KINDS = ("squared_overdose", "squared_deviation", "max_dose", "mean_dose", "eud", "dvh_max")


def _num(x: float) -> str:
    return f"{round(x, 1):g}"


def _weights(objectives, factor: float) -> list[str]:
    return [prompts.CHANGE_WEIGHT.format(kind=o.kind, old=_num(o.weight),
                                         new=_num(min(max(o.weight * factor, 0.1), 1000.0)))
            for o in objectives]


def goal_hints(results: Sequence[GoalResult], objectives: Sequence[Any], target: str) -> str:
    """Planner's rules of thumb for the missed goals, as concrete changes to the plan's
    objectives (weights doubled or halved, dose levels moved by 1 Gy)."""
    hints = []
    missed = [r for r in results if not r.met]
    for r in missed:
        g = r.goal
        on = [o for o in objectives if o.structure == g.structure]
        if g.structure == target and g.op == ">=":
            push = [o for o in on if o.kind in PUSH_KINDS]
            changes = _weights(push, 2.0) + [
                prompts.CHANGE_DOSE.format(kind=o.kind, old=_num(o.dose_gy),
                                           new=_num(o.dose_gy + 1.0))
                for o in push if g.unit == "Gy" and o.dose_gy < g.value + 2.0
            ]
            template = prompts.HINT_TARGET_COLD
        else:
            changes = _weights([o for o in on if o.kind in LIMIT_KINDS], 2.0)
            template = prompts.HINT_TARGET_HOT if g.structure == target else prompts.HINT_OAR
        if changes:
            hints.append(template.format(label=g.label, structure=g.structure,
                                         changes="; ".join(changes)))
        else:
            hints.append(prompts.HINT_NONE.format(label=g.label, structure=g.structure))
    if missed:
        missed_structures = {r.goal.structure for r in missed}
        for structure in dict.fromkeys(r.goal.structure for r in results):
            own = [r for r in results if r.goal.structure == structure]
            limits = [o for o in objectives if o.structure == structure and o.kind in LIMIT_KINDS]
            if structure in missed_structures or structure == target or not limits:
                continue
            if all(r.margin > 0.1 * max(abs(r.goal.value), 1.0) for r in own):
                margins = ", ".join(
                    f"{r.goal.label} margin {r.margin:.1f} {r.goal.unit}" for r in own
                )
                hints.append(prompts.HINT_RELAX.format(structure=structure, margins=margins,
                                                       changes="; ".join(_weights(limits, 0.5))))
    elif results:
        worst = min(results, key=lambda r: r.margin / max(abs(r.goal.value), 1.0))
        hints.append(prompts.HINT_ALL_MET.format(label=worst.goal.label, margin=worst.margin,
                                                 unit=worst.goal.unit))
    return "\n".join(hints)


@dataclass
class PlanEvaluation:
    """The outcome of one plan: its goals, the FMO numbers, the dose (None on failure)."""

    plan: str
    results: list[GoalResult] = field(default_factory=list)
    objectives: list = field(default_factory=list)
    dose: np.ndarray | None = None
    fmo: dict = field(default_factory=dict)
    error: str | None = None
    fluence: np.ndarray | None = None

    @property
    def goals_met(self) -> int:
        return sum(r.met for r in self.results)

    @property
    def score(self) -> float:
        if self.error is not None:
            return float(len(self.results) or 1) + 100.0
        return goal_score(self.results)

    def numbers(self) -> dict:
        """JSON-safe numbers for ``variable.data``, run logs and plots."""
        return {
            "goals_met": self.goals_met,
            "goals_total": len(self.results),
            "score": round(self.score, 6),
            "margins": {r.goal.label: round(r.margin, 4) for r in self.results},
            "metrics": {r.goal.label: round(r.actual, 4) for r in self.results},
            "met": {r.goal.label: r.met for r in self.results},
            "fmo": self.fmo,
            "error": self.error,
        }


class BudgetSpent(Exception):
    """The loss's ``fmo_limit`` is reached: no further fluence optimization may run."""


SPENT_SCORE = 1e6  # the score of a plan left unevaluated because the budget is spent


class PlanGoalLoss(ToolLoss):
    """Run fluence-map optimization for a plan variable and report its clinical goals as text.

    ``objectives_fn`` turns a plan text into ``Objective`` objects (raising ``ValueError`` with a
    readable reason). The dose-influence matrix is computed once, on first use. Measurements are
    cached by plan text (the last ``cache_size``; each holds a dose cube); ``detail`` is the
    :class:`PlanEvaluation`. Backward writes the goal report and planner hints onto the plan; with
    ``critic=True`` a language model adds its own advice.

    ``sensitivity``: the forward's report also says what doubling and halving each objective
    weight does to each goal (two warm-started FMOs per weight; at most ``sensitivity_max``
    weights, 0 = all). ``fmo_runs`` counts every FMO (sensitivity ones included); with
    ``fmo_limit`` set, no FMO runs past it: ``evaluate`` raises :class:`BudgetSpent`, ``score``
    returns ``SPENT_SCORE`` and the sensitivity block is cut short. ``trajectory`` lists each
    plan evaluation in order (``fmo``: the FMO count after it, ``score``, ``goals_met``).
    """

    role = "clinical goal evaluation"
    feedback_via = "plan goals"
    cache_size = 32

    def __init__(
        self,
        case,
        goals: Sequence[Goal],
        objectives_fn: Callable[[str], list],
        *,
        beams=None,
        influence=None,
        fmo_method: str = "native",
        fmo_iterations: int = 200,
        critic: bool = False,
        engine: Engine | str | None = None,
        cache_size: int = 32,
        sensitivity: bool = False,
        sensitivity_max: int = 0,
        fmo_limit: int | None = None,
    ) -> None:
        self.case = case
        self.goals = list(goals)
        self.objectives_fn = objectives_fn
        self.beams = beams
        self._influence = influence
        self.fmo_method = fmo_method
        self.fmo_iterations = fmo_iterations
        self.critic = critic
        self.engine = engine
        self.cache_size = cache_size
        self.sensitivity = sensitivity
        self.sensitivity_max = sensitivity_max
        self.fmo_limit = fmo_limit
        self.fmo_runs = 0
        self.trajectory: list[dict] = []
        self._sensitivities: dict[str, tuple[str, list]] = {}
        self._lock = threading.Lock()
        missing = {g.structure for g in self.goals} - set(case.structures)
        if missing:
            raise ValueError(
                f"goals name structure(s) {sorted(missing)} that case {case.name!r} does not have "
                f"(it has {sorted(case.structures)})"
            )

    @property
    def influence(self):
        """The case's dose-influence matrix (computed on first use)."""
        with self._lock:
            if self._influence is None:
                from .dose import BeamSetup, compute_dose_influence

                self._influence = compute_dose_influence(self.case, self.beams or BeamSetup())
            return self._influence

    def measure(self, plan: str) -> Measurement:
        """One FMO for the plan; failures are a measurement with ``error`` (never raised)."""
        evaluation = self._evaluate(plan)
        hints = [] if evaluation.error else [
            goal_hints(evaluation.results, evaluation.objectives, self.case.target)
        ]
        return Measurement(evaluation.numbers(), self.render(evaluation), evaluation.score,
                           [h for h in hints if h], evaluation.error, evaluation)

    def _fmo(self, objectives: list, x0: np.ndarray | None = None):
        """One counted fluence optimization; :class:`BudgetSpent` at ``fmo_limit``."""
        from .dose import optimize_fluence

        with self._lock:
            if self.fmo_limit is not None and self.fmo_runs >= self.fmo_limit:
                raise BudgetSpent(f"the budget of {self.fmo_limit} fluence optimizations is spent")
            self.fmo_runs += 1
        return optimize_fluence(self.influence, self.case, objectives, method=self.fmo_method,
                                max_iter=self.fmo_iterations, x0=x0)

    def _goal_results(self, fmo) -> tuple[np.ndarray, list[GoalResult]]:
        dose = np.asarray(fmo.dose).reshape(self.case.densities.shape)
        return dose, evaluate_goals(dose, self.case.structures, self.goals)

    def _evaluate(self, plan: str) -> PlanEvaluation:
        evaluation = PlanEvaluation(plan)
        try:
            evaluation.objectives = list(self.objectives_fn(plan))
        except ValueError as err:
            evaluation.error = f"the plan is invalid: {err}"
            return evaluation
        try:
            started = time.perf_counter()
            fmo = self._fmo(evaluation.objectives)
            dose, evaluation.results = self._goal_results(fmo)
        except BudgetSpent:
            raise
        except Exception as err:  # a tool failure becomes feedback, never an exception in the loop
            evaluation.error = f"the fluence optimization failed ({type(err).__name__}: {err})"
            self._log(evaluation)
            return evaluation
        evaluation.dose, evaluation.fluence = dose, np.asarray(fmo.fluence)
        self._log(evaluation)
        evaluation.fmo = {
            "objective": float(fmo.objective),
            "iterations": int(fmo.iterations),
            "seconds": round(time.perf_counter() - started, 4),
            "method": fmo.method,
        }
        return evaluation

    def _log(self, evaluation: PlanEvaluation) -> None:
        self.trajectory.append({"fmo": self.fmo_runs, "score": evaluation.score,
                                "goals_met": evaluation.goals_met, "plan": evaluation.plan})

    def score(self, value: str) -> float:
        """The plan's goal score; ``SPENT_SCORE`` for a new plan once the budget is spent."""
        try:
            return super().score(value)
        except BudgetSpent:
            return SPENT_SCORE

    def report(self, plan: str) -> Measurement:
        """The measurement, with the sensitivity block added when ``sensitivity`` is on."""
        measurement = self.evaluate(plan)
        if not self.sensitivity or measurement.error is not None:
            return measurement
        key = self.canonical(plan)
        if key not in self._sensitivities:
            self._sensitivities[key] = self._probe(measurement.detail)
        text, numbers = self._sensitivities[key]
        return Measurement({**measurement.numbers, "sensitivity": numbers},
                           measurement.text + "\n" + text, measurement.score, measurement.hints,
                           None, measurement.detail)

    def _probe(self, evaluation: PlanEvaluation) -> tuple[str, list]:
        """Double and halve each weight (warm-started from the plan's fluence), in the order of
        :func:`probe_order`, until done or the budget is spent."""
        from . import plan_sensitivity as ps

        objectives = evaluation.objectives
        order = ps.probe_order(objectives, evaluation.results, self.case.target)
        if self.sensitivity_max > 0:
            order = order[: self.sensitivity_max]
        probes: list[ps.Probe] = []
        try:
            for index in order:
                for factor in ps.FACTORS:
                    changed, new = ps.probed_objectives(objectives, index, factor)
                    try:
                        results = self._goal_results(self._fmo(changed, evaluation.fluence))[1]
                    except BudgetSpent:
                        raise
                    except Exception:  # a failed probe is reported, not raised
                        results = None
                    probes.append(ps.Probe(index, objectives[index].weight, new, results))
        except BudgetSpent:
            pass
        text = ps.render_sensitivity(objectives, evaluation.results, probes,
                                  len(order) * len(ps.FACTORS))
        return text, ps.sensitivity_numbers(objectives, probes)

    def render(self, evaluation: PlanEvaluation) -> str:
        case = self.case
        if evaluation.error is not None:
            return prompts.FAILED.format(case=case.name, error=evaluation.error)
        header = prompts.HEADER.format(case=case.name, met=evaluation.goals_met,
                                       total=len(evaluation.results), rx=case.prescription_gy)
        fmo = prompts.FMO_LINE.format(**evaluation.fmo)
        return "\n".join([header, render_goals(evaluation.results), fmo])

    def feedback(self, measurement: Measurement, variable: Variable) -> str:
        if measurement.error is not None:
            return prompts.FEEDBACK_FAILED.format(error=measurement.error)
        return prompts.FEEDBACK.format(report=measurement.text,
                                       hints="\n".join(measurement.hints) or "-")

    def send_feedback(
        self, output: Variable, variable: Variable, measurement: Measurement, engine: Engine | None
    ) -> None:
        """The goal report and hints; with ``critic`` the engine's advice is appended."""
        if not self.critic or measurement.error is not None:
            return super().send_feedback(output, variable, measurement, engine)
        advice = self.backward_engine(engine).chat(
            prompts.CRITIC.format(plan=variable.value, report=measurement.text),
            system_prompt=prompts.CRITIC_SYSTEM,
        )
        text = self.feedback(measurement, variable) + "\n\nPlanner's advice:\n" + advice
        context = {"via": self.feedback_via}
        for feedback in [text, *(g.value for g in list(output.gradients))]:
            variable.add_gradient(feedback, source=output.name, context=context)


def goals_from_json(text: str, prescription_gy: float | None = None) -> list[Goal]:
    """Goals from a JSON list (or ``{"goals": [...]}``); errors say which goal is wrong."""
    doc = json.loads(text)
    items = doc.get("goals") if isinstance(doc, dict) else doc
    if not isinstance(items, list) or not items:
        raise ValueError('a goal set is a non-empty JSON list of goals (or {"goals": [...]})')
    goals = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"goal {i + 1} must be a JSON object")
        try:
            goals.append(Goal.from_dict(item, prescription_gy))
        except (ValueError, TypeError) as err:
            raise ValueError(f"goal {i + 1}: {err}") from None
    return goals
