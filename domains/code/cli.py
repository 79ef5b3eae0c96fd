"""``textgrad-sci code refine`` and ``textgrad-sci code bench``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from textgrad_sci.losses.sandbox import Limits, Sandbox, SandboxError

from textgrad_sci.config import default_engine_spec
from textgrad_sci.engines import get_engine
from textgrad_sci.run import Run, default_run_dir

from .problems import ProblemError, load_dataset, load_problems


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", default=None, help="engine spec (default: the process default)")
    p.add_argument("--run-dir", help="run directory (an existing one is resumed)")
    p.add_argument("--resume", metavar="RUN_DIR", help="resume this run directory")
    p.add_argument("--steps", type=int, default=5, help="refinement steps per problem")
    p.add_argument("--max-tokens", type=int, default=512, help="per model answer")
    p.add_argument("--no-critique", action="store_true", help="feedback from test results only")
    p.add_argument("--test-timeout", type=float, default=2.0, help="seconds per test")
    p.add_argument("--workers", type=int, default=1, help="warm sandboxes kept ready")
    p.add_argument(
        "--allow-unsandboxed-execution-i-understand-the-risk",
        action="store_true",
        help="run generated code WITHOUT bubblewrap (only resource limits apply)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("code", help="refine code solutions against sandboxed tests")
    sub = parser.add_subparsers(dest="code_command", metavar="ACTION", required=True)
    ref = sub.add_parser("refine", help="test-time refinement of one problem's solution")
    ref.add_argument("--problem", required=True, help="problem file (.json or .jsonl)")
    ref.add_argument("--index", type=int, default=0, help="which problem of the file")
    _common(ref)
    ref.set_defaults(handler=refine_command)
    ben = sub.add_parser("bench", help="refine every problem of a dataset; pass rates")
    ben.add_argument("--dataset", default="humaneval", help="humaneval, own, or a problem file")
    ben.add_argument("--limit", type=int, default=20)
    _common(ben)
    ben.set_defaults(handler=bench_command)


def _setup(args: argparse.Namespace, command: str):
    run_dir = args.resume or args.run_dir or default_run_dir(f"code-{command}")
    engine = get_engine(args.engine or default_engine_spec())
    limits = Limits(test_timeout_s=args.test_timeout)
    sandbox = Sandbox(
        limits,
        warm=args.workers,
        allow_unsandboxed_execution_i_understand_the_risk=(
            args.allow_unsandboxed_execution_i_understand_the_risk
        ),
    )
    config = {k: v for k, v in vars(args).items() if k != "handler"}
    return Run(run_dir, config, engine), engine, sandbox


def _finish(run: Run, summary: dict) -> None:
    from textgrad_sci.report import finish_run

    finish_run(run, summary)
    print(f"run directory: {run.path}")


def refine_command(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .plots import plot_refinement
    from .refine import refine

    try:
        problems = load_problems(args.problem)
        problem = problems[args.index]
        run, engine, sandbox = _setup(args, "refine")
    except (ProblemError, SandboxError, IndexError) as err:
        print(f"textgrad-sci code refine: {err}", file=sys.stderr)
        return 2
    with sandbox, tqdm(total=args.steps, desc=problem.id, file=sys.stderr) as bar:
        result = refine(
            problem,
            engine,
            sandbox,
            run,
            args.steps,
            not args.no_critique,
            args.max_tokens,
            progress=bar,
        )
    plot_refinement(result.history, Path(run.path) / "plots" / "visible_tests.png")
    rows = [("", "visible", "hidden")]
    for label, vis, hid in (
        ("before", result.visible_before, result.hidden_before),
        ("after", result.visible_after, result.hidden_after),
    ):
        rows.append(
            (
                label,
                f"{vis.get('passed', 0)}/{vis.get('total', 0)}",
                f"{hid.get('passed', 0)}/{hid.get('total', 0)}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    print("\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows))
    print(f"steps: {result.steps_run}, visible tests solved: {result.solved_visible}")
    (Path(run.path) / "best_solution.py").write_text(result.best_code, encoding="utf-8")
    _finish(run, {k: v for k, v in result.to_dict().items() if k != "history"})
    return 0


def bench_command(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .bench import bench, summarize, table
    from .plots import plot_bench

    try:
        problems = load_dataset(args.dataset, args.limit)
        run, engine, sandbox = _setup(args, "bench")
    except (ProblemError, SandboxError, OSError) as err:
        print(f"textgrad-sci code bench: {err}", file=sys.stderr)
        return 2
    with sandbox, tqdm(total=len(problems), desc=args.dataset, file=sys.stderr) as bar:
        rows = bench(
            problems,
            engine,
            sandbox,
            run,
            args.steps,
            not args.no_critique,
            args.max_tokens,
            progress=bar,
        )
    plot_bench(rows, Path(run.path) / "plots" / "pass_rates.png")
    print(table(rows))
    _finish(run, summarize(rows).to_dict())
    return 0
