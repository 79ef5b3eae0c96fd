"""``textgrad-sci report RUN_DIR``: write the run's self-contained HTML page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

RUN_MARKERS = ("run.json", "steps.jsonl")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write RUN_DIR/report.html for a run, or compare several runs on one page",
        description="Write RUN_DIR/report.html: one self-contained page (no network) showing the "
        "run's results as a lab notebook (molecules drawn, goal tables, DVHs, test tables, "
        "accuracies), then its settings, steps, graphs, feedback, diffs, scores, plots, usage and "
        "failures. Works on finished, running and killed runs. Given several runs, write one "
        "comparison page (--out, default compare.html): the settings that differ, the score "
        "curves overlaid and the final results in one table.",
    )
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run directories")
    parser.add_argument(
        "--out",
        default=None,
        help="where to write the page (default: RUN_DIR/report.html for one run, "
        "compare.html for several)",
    )
    parser.set_defaults(handler=handle)


def _runs_inside(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.is_dir() and (p / "run.json").exists())


def _check(path: Path) -> str | None:
    """Why ``path`` is not a run directory, or None when it is one."""
    if not path.is_dir():
        return f"no run directory at {path}"
    if not any((path / name).exists() for name in RUN_MARKERS):
        inside = _runs_inside(path)
        hint = f"; runs inside it: {', '.join(inside)}" if inside else ""
        return f"{path} is not a run directory (no run.json or steps.jsonl){hint}"
    return None


def handle(args: argparse.Namespace) -> int:
    from . import write_report

    paths = [Path(d) for d in args.run_dirs]
    for path in paths:
        problem = _check(path)
        if problem:
            print(f"textgrad-sci report: {problem}", file=sys.stderr)
            return 2
    if args.out is not None and Path(args.out).is_dir():
        print(f"textgrad-sci report: --out {args.out} is a directory; give a file name",
              file=sys.stderr)
        return 2
    if len(paths) == 1:
        print(write_report(paths[0], out=args.out))
        return 0
    from .compare import write_compare

    print(write_compare(paths, args.out or "compare.html"))
    return 0
