"""One tuning run end to end: settings, case, goals, plan, the loop, table, plots, report."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from textgrad_sci import Run, loop
from textgrad_sci.options import UsageError, setting

from .cases import load_case
from .goals import goals_source, load_goals
from .plan import PlanSchema, initial_plan
from .tune import TUNERS, PlanTuning, make_loss, plan_optimizer


@dataclass(frozen=True)
class TuneConfig:
    """The settings of ``textgrad-sci radiotherapy tune`` (saved in run.json, reused on resume)."""

    case: str = setting("prostate", "prostate, tg119, a case .npz or matRad .mat file or a "
                        "DICOM folder (CT + RTSTRUCT)")
    resolution: float = setting(5.0, "grid resolution in mm")
    target: str | None = setting(None, "target structure (for .npz/DICOM cases)")
    prescription: float | None = setting(None, "prescription in Gy (.npz/DICOM cases)")
    goals: str | None = setting(None, "goal set: built-in name or JSON file (default: the case's)")
    plan: str | None = setting(None, "starting plan JSON file (default: a plain plan)")
    tuner: str = setting("textgrad", "textgrad (the engine proposes plans) or random (baseline "
                         "search)", choices=TUNERS)
    steps: int = setting(8, "tuning steps")
    gating: bool = setting(True, "accept every proposed plan, even one scoring worse")
    examples: bool = setting(True, "do not show the optimizer the in-context example plan")
    memory: int = setting(1, "past plans and their feedback shown to the optimizer (0 = none)")
    critic: bool = setting(False, "the engine also writes planner's advice in the backward pass")
    fmo_method: str = setting("native", "native or lbfgsb")
    fmo_iterations: int = setting(200, "fluence optimization iterations")
    max_tokens: int = setting(400, "most tokens per proposed plan")
    temperature: float = setting(0.7, "sampling temperature of the planner")
    seed: int = setting(0, "seed of the first step (step i uses seed + i)")
    sigma: float = setting(0.7, "random tuner: log-weight step")
    export_dicom: str | None = setting(None, "also write the final plan as DICOM (CT series, "
                                       "RTSTRUCT, RTDOSE) to this folder")

    def __post_init__(self) -> None:
        if self.tuner not in TUNERS:
            raise ValueError(f"--tuner {self.tuner!r}: choose one of {', '.join(TUNERS)}")
        if self.steps < 0:
            raise ValueError(f"--steps {self.steps}: must be 0 or more")


def _starting_plan(config: TuneConfig, case) -> str:
    if not config.plan:
        return initial_plan(case)
    path = Path(config.plan)
    if not path.is_file():
        raise ValueError(f"--plan {path}: no such file")
    text = path.read_text(encoding="utf-8")
    reason = PlanSchema.for_case(case).validate(text)
    if reason:
        raise ValueError(f"--plan {path}: {reason}")
    return text


def _engine(config: TuneConfig, engine):
    """The planner's engine (from a spec or as given; the process default if none); the random
    tuner has none."""
    if config.tuner != "textgrad":
        return None
    from textgrad_sci.config import default_engine_spec
    from textgrad_sci.engines import get_engine

    return get_engine(engine or default_engine_spec())  # a bad spec: ValueError


def _problem(run: Run, config: TuneConfig, engine, loss, out) -> PlanTuning:
    """Case, goals (also written to goals.json), starting plan and loss; bad input is a
    :class:`UsageError` (one line from the CLI)."""
    try:
        case = loss.case if loss is not None else load_case(
            config.case, config.resolution, config.target, config.prescription)
        goals = loss.goals if loss is not None else load_goals(
            goals_source(config.goals, config.case), case.prescription_gy)
        plan = _starting_plan(config, case)
        engine = _engine(config, engine)
        if loss is None:
            loss = make_loss(case, goals, fmo_method=config.fmo_method,
                             fmo_iterations=config.fmo_iterations, critic=config.critic,
                             engine=engine)
    except ValueError as err:
        raise UsageError(str(err)) from None
    (run.path / "goals.json").write_text(
        json.dumps({"goals": [g.to_dict() for g in goals]}, indent=2), encoding="utf-8")
    return PlanTuning(loss, plan, engine, config.tuner, out, config.export_dicom)


def run_tuning(run: Run | str | Path, config: TuneConfig, engine=None, progress: bool = True,
               loss=None, out=None) -> dict:
    """Run (or resume) the tuning described by ``config`` in ``run`` (a run directory, or the
    :class:`Run` the CLI opened) with ``engine`` (an engine or a spec); print the goals table
    and return the summary. ``loss``: a prepared :class:`PlanGoalLoss` (its case and goals)."""
    if not isinstance(run, Run):
        engine = _engine(config, engine)
        run = Run(run, dataclasses.asdict(config), engine)
        run.set_config(dataclasses.asdict(config))  # a resumed run may have been given more steps
    problem = loop.guarded(run, lambda: _problem(run, config, engine, loss, out))
    optimizer = plan_optimizer(problem, config)
    return loop.optimize(problem, optimizer, run, config.steps, seed=config.seed,
                         progress=progress, desc=f"tuning {problem.loss.case.name}")


__all__ = ["TuneConfig", "run_tuning"]
