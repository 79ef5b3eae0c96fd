"""``textgrad-sci report RUN_DIR``: write the run's self-contained HTML page."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="write RUN_DIR/report.html for a run directory")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (finished or not)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from . import write_report

    try:
        path = write_report(args.run_dir)
    except (FileNotFoundError, NotADirectoryError) as err:
        print(f"textgrad-sci report: {err}", file=sys.stderr)
        return 2
    print(path)
    return 0
