"""One tuning run end to end: case, goals, plan, tuner, run directory, table, plots, report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from textgrad_sci import Run

from .cases import BUILT_IN, load_case
from .goals import GOAL_SETS, load_goals
from .plan import PlanSchema, initial_plan
from .plots import write_plots
from .table import goals_table
from .tune import make_loss, tune_random, tune_textgrad


def _goals_source(config: dict) -> str:
    if config.get("goals"):
        return config["goals"]
    if config["case"] in GOAL_SETS:
        return config["case"]
    raise ValueError(f"case {config['case']!r} has no built-in goals: pass --goals FILE.json "
                     f"(start from `textgrad-sci radiotherapy goals {BUILT_IN[0]}`)")


def _starting_plan(config: dict, case) -> str:
    if not config.get("plan"):
        return initial_plan(case)
    path = Path(config["plan"])
    if not path.is_file():
        raise ValueError(f"--plan {path}: no such file")
    text = path.read_text(encoding="utf-8")
    reason = PlanSchema.for_case(case).validate(text)
    if reason:
        raise ValueError(f"--plan {path}: {reason}")
    return text


def run_tuning(run_dir, config: dict, engine_spec=None, engine=None, progress: bool = True,
               loss=None, out=None) -> dict:
    """Run (or resume) the tuning described by ``config`` in ``run_dir``; return the summary."""
    from tqdm import tqdm

    from textgrad_sci.config import default_engine_spec
    from textgrad_sci.engines import get_engine

    case = load_case(config["case"], config.get("resolution") or 5.0, config.get("target"),
                     config.get("prescription"))
    goals = load_goals(_goals_source(config), case.prescription_gy)
    plan = _starting_plan(config, case)
    textgrad = config.get("tuner", "textgrad") == "textgrad"
    if textgrad and engine is None:
        engine = get_engine(engine_spec or default_engine_spec())
    if loss is None:
        loss = make_loss(case, goals, fmo_method=config.get("fmo_method", "native"),
                         fmo_iterations=config.get("fmo_iterations", 200),
                         critic=bool(config.get("critic")), engine=engine)
    run = Run(run_dir, config, engine)
    run.meta["config"] = config  # a resumed run may have been given more steps
    (run.path / "goals.json").write_text(
        json.dumps({"goals": [g.to_dict() for g in goals]}, indent=2), encoding="utf-8")
    steps = int(config["steps"])
    bar = tqdm(total=steps, initial=run.next_step, desc=f"tuning {case.name}", unit="step",
               disable=not progress, file=sys.stderr)

    def on_step(i: int, evaluation) -> None:
        bar.update(1)
        bar.set_postfix(met=f"{evaluation.goals_met}/{len(evaluation.results)}",
                        score=f"{evaluation.score:.3f}")

    try:
        if textgrad:
            sampling = {"temperature": config.get("temperature", 0.7),
                        "max_tokens": config.get("max_tokens", 400),
                        "seed": config.get("seed", 0)}
            examples = None if config.get("examples", True) else []
            result = tune_textgrad(loss, run, steps, engine, plan=plan, sampling=sampling,
                                   examples=examples, memory=config.get("memory", 1),
                                   gating=config.get("gating", True), on_step=on_step)
        else:
            result = tune_random(loss, run, steps, plan=plan, seed=config.get("seed", 0),
                                 sigma=config.get("sigma", 0.7), on_step=on_step)
    except BaseException as err:
        run.finish({"error": f"{type(err).__name__}: {err}"}, status="failed")
        raise
    finally:
        bar.close()
    table = goals_table(result.rows)
    print(table, file=out or sys.stdout)
    (run.path / "goals_table.txt").write_text(table + "\n", encoding="utf-8")
    (run.path / "final_plan.json").write_text(result.plans[-1] + "\n", encoding="utf-8")
    plots = write_plots(case, result, run.path / "plots")
    summary = {**result.summary(), "tuner": config.get("tuner", "textgrad"),
               "plots": [str(p.relative_to(run.path)) for p in plots]}
    from textgrad_sci.report import finish_run

    finish_run(run, summary)
    return summary


__all__ = ["run_tuning"]
