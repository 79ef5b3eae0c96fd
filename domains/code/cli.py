"""``textgrad-sci code refine``, ``code bench`` and ``code check`` (in :mod:`.check`)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from textgrad_sci.losses.sandbox import Limits, Sandbox, SandboxError

from textgrad_sci import options
from textgrad_sci.engines import get_engine
from textgrad_sci.loop import guarded
from textgrad_sci.options import UsageError, open_run, setting
from textgrad_sci.run import Run

from .check import register as register_check
from .problems import DATASETS, ProblemError, dataset_mounts, load_dataset, load_problems


@dataclass(frozen=True)
class CodeConfig:
    """The settings of a code run (refine one problem, or bench a dataset)."""

    steps: int = setting(5, "refinement steps per problem", local=1)
    max_tokens: int = setting(512, "per model answer", local=192)
    retries: int = setting(2, "times a malformed or non-compiling update is sent back", local=0)
    strategy: str = setting("tgd", "tgd: textual gradients; resample: the blind baseline (a "
                            "fresh sample each step, kept if not worse); reflexion: the model's "
                            "own reflection on the visible results, then a rewrite",
                            choices=("tgd", "resample", "reflexion"))
    critique: bool = setting(True, "feedback from test results only (no reviewer model)")
    test_timeout: float = setting(2.0, "seconds per test")
    workers: int = setting(1, "warm sandboxes kept ready")
    allow_unsandboxed_execution_i_understand_the_risk: bool = setting(
        False, "run generated code WITHOUT bubblewrap (only resource limits apply)")


@dataclass(frozen=True)
class RefineConfig(CodeConfig):
    problem: str | None = setting(None, "problem file (.json or .jsonl), or a data set "
                                  "(leetcode-hard, humaneval, ...) with --index; required")
    index: int = setting(0, "which problem of the file")


@dataclass(frozen=True)
class BenchConfig(CodeConfig):
    dataset: str = setting("humaneval", "humaneval, own, leetcode-hard (-medium, -easy, -all), "
                           "or a problem file")
    limit: int = setting(20, "how many problems")
    methods: str = setting("zero-shot,textgrad,reflexion", "comma-separated, of zero-shot, "
                           "textgrad, reflexion, resample (zero-shot always runs: the others "
                           "start from its code; --strategy is not used by bench)")


COST = ("Cost per problem: model calls 1 (first code, unless the problem has one; bench always "
        "asks, once, for zero-shot) + per step up to 1 critique (reflexion: 1 reflection) + 1 "
        "to 1+RETRIES updates, until the visible tests pass; tool evaluations: one sandbox run "
        "of the visible tests per distinct code, and the hidden tests on the first and best "
        "code (bench: on the best code of every iteration). With the local model's defaults "
        "(1 step, no retries) a bench problem costs 1 + 2 per refining method: at most 25 "
        "model calls for --limit 5.")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("code", help="refine code solutions against sandboxed tests")
    sub = parser.add_subparsers(dest="code_command", metavar="ACTION", required=True)
    for name, cls, handler, text in (
        ("refine", RefineConfig, refine_command, "test-time refinement of one problem's solution"),
        ("bench", BenchConfig, bench_command, "refine every problem of a dataset; pass rates"),
    ):
        command = sub.add_parser(name, help=text, description=f"{text}. {COST}")
        options.add_config_options(command, cls)
        options.add_run_options(command, f"code-{name}")
        command.set_defaults(handler=handler)
    register_check(sub)


def _settings(args: argparse.Namespace, command: str, cls: type):
    """The settings (a resumed run's, overridden by the options given), read before the run
    directory is made, so that bad input leaves none behind."""
    saved = Run.saved_config(options.run_directory(args, command))
    if args.resume and saved is None:
        raise UsageError(f"--resume {args.resume}: no run there (run.json is missing)")
    return options.config_from(cls, args, saved)


def _sandbox(config: CodeConfig, dataset: str | None) -> Sandbox:
    """The sandbox, with what the data set's tests need mounted (LeetCode's data structures)."""
    try:
        return Sandbox(
            Limits(test_timeout_s=config.test_timeout),
            mounts=dataset_mounts(dataset) if dataset else None,
            warm=config.workers,
            allow_unsandboxed_execution_i_understand_the_risk=(
                config.allow_unsandboxed_execution_i_understand_the_risk
            ),
        )
    except (SandboxError, ValueError) as err:
        raise UsageError(str(err)) from None


def _engine(run: Run, spec: str | None):
    try:
        return guarded(run, lambda: get_engine(spec))
    except ValueError as err:  # a malformed spec (the run is marked failed)
        raise UsageError(str(err)) from None


def refine_command(args: argparse.Namespace) -> int:
    from .bench import align
    from .refine import refine

    config = _settings(args, "code-refine", RefineConfig)
    if config.problem is None:
        raise UsageError("--problem is required (a .json or .jsonl problem file)")
    try:
        problems = (load_dataset(config.problem) if config.problem in DATASETS
                    else load_problems(config.problem))
        problem = problems[config.index]
    except (ProblemError, ModuleNotFoundError) as err:
        raise UsageError(str(err)) from None
    except IndexError:
        raise UsageError(f"--index {config.index}: {config.problem} holds "
                         f"{len(problems)} problem(s)") from None
    with _sandbox(config, config.problem) as sandbox:  # closed on every path
        run, config, spec = open_run(args, "code-refine", RefineConfig)
        engine = _engine(run, spec)
        result = refine(problem, engine, sandbox, run, config.steps, config.critique,
                        config.max_tokens, progress=not args.quiet,
                        max_retries=config.retries, finish=True, strategy=config.strategy)
    count = lambda s: f"{s.get('passed', 0)}/{s.get('total', 0)}"  # noqa: E731
    print(align([("", "visible", "hidden"),
                 ("before", count(result.visible_before), count(result.hidden_before)),
                 ("after", count(result.visible_after), count(result.hidden_after))]))
    print(f"steps: {result.steps_run}, visible tests solved: {result.solved_visible}")
    print(f"run directory: {run.path}")
    return 0


def bench_command(args: argparse.Namespace) -> int:
    import json

    from textgrad_sci.report import finish_run

    from .bench import bench, completion_rates, parse_methods, summarize, table
    from .plots import plot_bench

    config = _settings(args, "code-bench", BenchConfig)
    try:
        methods = parse_methods(config.methods)
        problems = load_dataset(config.dataset, config.limit)
    except (ProblemError, OSError, ValueError, ImportError) as err:
        raise UsageError(str(err)) from None
    with _sandbox(config, config.dataset) as sandbox:  # closed on every path
        run, config, spec = open_run(args, "code-bench", BenchConfig)
        engine = _engine(run, spec)
        rows = bench(problems, engine, sandbox, run, config.steps, config.critique,
                     config.max_tokens, max_retries=config.retries, progress=not args.quiet,
                     methods=methods)
    summary = summarize(rows, config.steps)
    plot_bench(completion_rates(rows, config.steps), Path(run.path) / "plots" /
               "completion_rate.png", summary["problems"])
    (Path(run.path) / "results.json").write_text(
        json.dumps({"summary": summary, "rows": rows}, indent=1), encoding="utf-8")
    print(table(rows, config.steps))
    finish_run(run, summary)
    print(f"run directory: {run.path}")
    return 0
