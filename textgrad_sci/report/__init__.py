"""Run reports: one self-contained HTML page per run directory (no network, everything inline).

``write_report(run_dir)`` reads ``run.json``, ``steps.jsonl``, ``events.jsonl`` and the images
under ``plots/`` of a finished, running or killed run and writes ``RUN_DIR/report.html``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from .data import build_page_data, load_run
from .render import render_page

__all__ = [
    "build_page_data",
    "finish_run",
    "load_run",
    "render_page",
    "write_compare",
    "write_report",
]

REPORT_NAME = "report.html"


def write_compare(run_dirs: list[str | os.PathLike], out: str | os.PathLike) -> Path:
    """Write one page comparing ``run_dirs`` to ``out``; return its path."""
    from .compare import write_compare as write

    return write(run_dirs, out)


def write_report(run_dir: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write ``RUN_DIR/report.html`` (or ``out``), atomically, and return its path."""
    run_path = Path(run_dir)
    page = render_page(build_page_data(run_path))
    out = Path(out) if out is not None else run_path / REPORT_NAME
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out)
    return out


def finish_run(run: Any, summary: dict | None = None, status: str = "completed") -> Path | None:
    """Mark ``run`` (a ``textgrad_sci.Run``) finished, then write its report. A failure of the
    report is recorded as an event and a warning: the run's results are already on disk."""
    run.finish(summary, status=status)
    try:
        return write_report(run.path)
    except Exception as err:  # noqa: BLE001
        run.event("report_failed", error=f"{type(err).__name__}: {err}")
        print(f"warning: the report was not written ({type(err).__name__}: {err})", file=sys.stderr)
        return None
