"""The Nelder-Mead baseline: SciPy's ``minimize(method="Nelder-Mead")`` over the plan's
log-weights, one simplex iteration per loop step, with the plan score of the other strategies."""

from __future__ import annotations

import math

import numpy as np

from textgrad_sci.optimizer import Optimizer, ScoreFn, UpdateReport
from textgrad_sci.variable import Variable

from .plan import PlanSchema, dump_plan

WEIGHT_RANGE = (0.01, 1000.0)


def log_weights(schema: PlanSchema, plan: str) -> np.ndarray:
    """The plan's objective weights as natural logs (the search space)."""
    return np.log([max(o["weight"], WEIGHT_RANGE[0]) for o in schema.parse(plan)])


def with_log_weights(schema: PlanSchema, plan: str, x: np.ndarray) -> str:
    """``plan`` with its weights set to ``exp(x)`` (clipped, 3 decimals; dose levels kept)."""
    lo, hi = WEIGHT_RANGE
    return dump_plan([{**o, "weight": round(float(np.clip(math.exp(v), lo, hi)), 3)}
                      for o, v in zip(schema.parse(plan), x, strict=True)])


class NelderMead(Optimizer):
    """Each step continues SciPy's Nelder-Mead from the last simplex (``initial_simplex``) for
    one iteration; the vertices already scored are cache hits of ``score_fn`` (a ToolLoss's
    ``score``), so only new points cost an evaluation. The seed picks the signs of the first
    simplex's edges (``step`` in log-weight units). The parameter holds the best vertex."""

    uses_feedback = False

    def __init__(self, parameter: Variable, schema: PlanSchema, score_fn: ScoreFn,
                 step: float = 0.7, seed: int = 0) -> None:
        super().__init__([parameter])
        self.schema, self.score_fn, self.step_size, self.seed = schema, score_fn, step, seed
        self.start = parameter.value
        self.simplex: np.ndarray | None = None

    def _first_simplex(self) -> np.ndarray:
        x0 = log_weights(self.schema, self.start)
        signs = np.random.default_rng(self.seed).choice([-1.0, 1.0], size=x0.size)
        return np.vstack([x0, x0 + self.step_size * np.diag(signs)])

    def _score(self, x: np.ndarray) -> float:
        return float(self.score_fn(with_log_weights(self.schema, self.start, x)))

    def step(self) -> list[UpdateReport]:
        from scipy.optimize import minimize

        param = self.parameters[0]
        report = UpdateReport(variable=param.name, old_value=param.value, attempts=1)
        if self.simplex is None:
            self.simplex = self._first_simplex()
        # SciPy counts the initial simplex as iteration 1: maxiter=2 is one iteration.
        result = minimize(self._score, self.simplex[0], method="Nelder-Mead",
                          options={"initial_simplex": self.simplex, "maxiter": 2,
                                   "xatol": 0.0, "fatol": 0.0})
        self.simplex = np.asarray(result.final_simplex[0])
        best = with_log_weights(self.schema, self.start, self.simplex[0])
        report.new_value = best
        report.score_before = float(self.score_fn(param.value))
        report.score_after = float(self.score_fn(best))
        if report.score_after <= report.score_before:
            param.value, report.accepted = best, True
            report.reason = "best simplex vertex"
        else:
            report.reason = "no vertex better than the current plan"
        self.history.append([report])
        return [report]

    def state_dict(self) -> dict:
        return {"simplex": None if self.simplex is None else self.simplex.tolist()}

    def load_state_dict(self, state: dict) -> None:
        simplex = state.get("simplex")
        self.simplex = None if simplex is None else np.asarray(simplex, dtype=np.float64)
