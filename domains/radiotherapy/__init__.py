"""Radiotherapy: treatment-plan hyperparameters as a JSON variable, clinical goals, tuning."""

from .cases import case_from_arrays, case_from_npz, load_case, save_case_npz
from .goals import GOAL_SETS, goal_set_json, load_goals
from .plan import PlanError, PlanFormat, PlanSchema, dump_plan, initial_plan, plan_variable
from .tune import PlanTuning, TuneResult, make_loss, plan_optimizer

__all__ = [
    "GOAL_SETS",
    "PlanError",
    "PlanFormat",
    "PlanSchema",
    "PlanTuning",
    "TuneResult",
    "case_from_arrays",
    "case_from_npz",
    "dump_plan",
    "goal_set_json",
    "initial_plan",
    "load_case",
    "load_goals",
    "make_loss",
    "plan_optimizer",
    "plan_variable",
    "save_case_npz",
]
