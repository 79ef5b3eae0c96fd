"""``textgrad-sci report RUN_DIR``: write the run's self-contained HTML page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

RUN_MARKERS = ("run.json", "steps.jsonl")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write RUN_DIR/report.html for a run directory",
        description="Write RUN_DIR/report.html: one self-contained page (no network) showing the "
        "run's settings, steps, graphs, feedback, diffs, scores, plots, usage and failures. "
        "Works on finished, running and killed runs.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (finished or not)")
    parser.set_defaults(handler=handle)


def _runs_inside(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.is_dir() and (p / "run.json").exists())


def handle(args: argparse.Namespace) -> int:
    from . import write_report

    path = Path(args.run_dir)
    if not path.is_dir():
        print(f"textgrad-sci report: no run directory at {path}", file=sys.stderr)
        return 2
    if not any((path / name).exists() for name in RUN_MARKERS):
        inside = _runs_inside(path)
        hint = f"; runs inside it: {', '.join(inside)}" if inside else ""
        print(
            f"textgrad-sci report: {path} is not a run directory (no run.json or steps.jsonl)"
            + hint,
            file=sys.stderr,
        )
        return 2
    print(write_report(path))
    return 0
