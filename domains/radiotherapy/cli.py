"""``textgrad-sci radiotherapy``: tune a treatment plan's hyperparameters against clinical goals."""

from __future__ import annotations

import argparse

from textgrad_sci import options


def register(subparsers: argparse._SubParsersAction) -> None:
    from .workflow import TuneConfig

    parser = subparsers.add_parser("radiotherapy", help="treatment-plan tuning against goals")
    sub = parser.add_subparsers(dest="rt_command", metavar="ACTION", required=True)
    tune = sub.add_parser(
        "tune", help="tune a plan's objective weights and dose levels",
        description="Tune a plan's objective weights and dose levels. Cost per step: 1 update "
        "call, up to 3 when a proposal is malformed (at most 6 model calls for --steps 2); tool "
        "evaluations: one fluence optimization per plan tried, plus the sensitivity runs when on.")
    options.add_config_options(tune, TuneConfig)
    options.add_run_options(tune, "radiotherapy")
    tune.add_argument("--no-progress", dest="quiet", action="store_true", help=argparse.SUPPRESS)
    tune.set_defaults(handler=handle_tune)
    from .bench import BenchConfig

    bench = sub.add_parser("bench", help="strategies at an equal budget of fluence optimizations, "
                           "over seeds (results.json, plots)")
    options.add_config_options(bench, BenchConfig)
    options.add_run_options(bench, "radiotherapy-bench")
    bench.set_defaults(handler=handle_bench)
    goals = sub.add_parser("goals", help="print a built-in goal set as editable JSON")
    goals.add_argument("name", nargs="?", default="prostate")
    goals.set_defaults(handler=handle_goals)


def handle_goals(args: argparse.Namespace) -> int:
    from .goals import goal_set_json

    try:
        print(goal_set_json(args.name))
    except ValueError as err:
        raise options.UsageError(str(err)) from None
    return 0


def handle_bench(args: argparse.Namespace) -> int:
    from .bench import BenchConfig, run_bench

    run, config, spec = options.open_run(args, "radiotherapy-bench", BenchConfig)
    results = run_bench(run, config, engine=spec, progress=not args.quiet)
    print(results["table"])
    print(f"results: {run.path / 'results.json'}")
    return 0


def handle_tune(args: argparse.Namespace) -> int:
    from .workflow import TuneConfig, run_tuning

    run, config, spec = options.open_run(args, "radiotherapy", TuneConfig)
    summary = run_tuning(run, config, engine=spec, progress=not args.quiet)
    print(f"goals met: {summary['goals_met_initial']} -> {summary['goals_met_final']} "
          f"of {summary['goals_total']}; run directory: {run.path}")
    return 0
