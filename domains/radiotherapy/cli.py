"""``textgrad-sci radiotherapy``: tune a treatment plan's hyperparameters against clinical goals."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from textgrad_sci.run import default_run_dir

TUNERS = ("textgrad", "random")

SETTINGS = ("case", "resolution", "goals", "plan", "tuner", "steps", "gating", "critic",
            "fmo_method", "fmo_iterations", "max_tokens", "temperature", "seed", "target",
            "prescription", "sigma", "examples", "memory")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("radiotherapy", help="treatment-plan tuning against goals")
    sub = parser.add_subparsers(dest="rt_command", metavar="ACTION", required=True)
    tune = sub.add_parser("tune", help="tune a plan's objective weights and dose levels")
    tune.add_argument("--case", default="prostate",
                      help="prostate, tg119, a case .npz file or a DICOM folder (CT + RTSTRUCT)")
    tune.add_argument("--resolution", type=float, default=5.0, help="grid resolution in mm")
    tune.add_argument("--target", help="target structure (for .npz/DICOM cases)")
    tune.add_argument("--prescription", type=float, help="prescription in Gy (.npz/DICOM cases)")
    tune.add_argument("--goals", help="goal set: built-in name or JSON file (default: the case's)")
    tune.add_argument("--plan", help="starting plan JSON file (default: a plain plan)")
    tune.add_argument("--tuner", choices=TUNERS, default="textgrad",
                      help="textgrad (the engine proposes plans) or random (baseline search)")
    tune.add_argument("--steps", type=int, default=None, help="tuning steps (default 8)")
    tune.add_argument("--engine", help="engine spec (default: the process default)")
    tune.add_argument("--no-gating", dest="gating", action="store_false",
                      help="accept every proposed plan, even one scoring worse")
    tune.add_argument("--no-examples", dest="examples", action="store_false",
                      help="do not show the optimizer the in-context example plan")
    tune.add_argument("--memory", type=int, default=1,
                      help="past plans and their feedback shown to the optimizer (0 = none)")
    tune.add_argument("--critic", action="store_true",
                      help="the engine also writes planner's advice in the backward pass")
    tune.add_argument("--fmo-method", default="native", help="native or lbfgsb")
    tune.add_argument("--fmo-iterations", type=int, default=200)
    tune.add_argument("--max-tokens", type=int, default=400)
    tune.add_argument("--temperature", type=float, default=0.7)
    tune.add_argument("--seed", type=int, default=0)
    tune.add_argument("--sigma", type=float, default=0.7, help="random tuner: log-weight step")
    tune.add_argument("--run-dir", help="run directory (default runs/radiotherapy-<UTC time>)")
    tune.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its directory")
    tune.add_argument("--no-progress", dest="progress", action="store_false")
    tune.set_defaults(handler=handle_tune)
    goals = sub.add_parser("goals", help="print a built-in goal set as editable JSON")
    goals.add_argument("name", nargs="?", default="prostate")
    goals.set_defaults(handler=handle_goals)


def handle_goals(args: argparse.Namespace) -> int:
    from .goals import goal_set_json

    try:
        print(goal_set_json(args.name))
    except ValueError as err:
        print(f"textgrad-sci radiotherapy goals: {err}", file=sys.stderr)
        return 2
    return 0


def _settings(args: argparse.Namespace) -> tuple[Path, dict]:
    run_dir = args.resume or args.run_dir or default_run_dir("radiotherapy")
    config = {k: getattr(args, k) for k in SETTINGS}
    config["steps"] = 8 if args.steps is None else args.steps
    meta = Path(run_dir) / "run.json"
    if meta.exists():  # a resumed run keeps its settings; only --steps may grow
        saved = json.loads(meta.read_text(encoding="utf-8")).get("config", {})
        steps = saved.get("steps", 8) if args.steps is None else args.steps
        config = {**config, **saved, "steps": steps}
    elif args.resume:
        raise ValueError(f"--resume {args.resume}: no run.json there")
    return Path(run_dir), config


def handle_tune(args: argparse.Namespace) -> int:
    from .workflow import run_tuning

    try:
        run_dir, config = _settings(args)
        summary = run_tuning(run_dir, config, engine_spec=args.engine, progress=args.progress)
    except ValueError as err:
        print(f"textgrad-sci radiotherapy tune: {err}", file=sys.stderr)
        return 2
    print(f"goals met: {summary['goals_met_initial']} -> {summary['goals_met_final']} "
          f"of {summary['goals_total']}; run directory: {run_dir}")
    return 0
