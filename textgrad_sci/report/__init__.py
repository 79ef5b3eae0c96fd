"""Run reports: one self-contained HTML page per run directory (no network, everything inline)."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

from ..run import read_jsonl
from ..secrets import redact

__all__ = ["write_report"]


def write_report(run_dir: str | os.PathLike) -> Path:
    """Write ``RUN_DIR/report.html`` from the run's files and return its path."""
    run_path = Path(run_dir)
    if not run_path.is_dir():
        raise FileNotFoundError(f"no run directory at {run_path}")
    meta_file = run_path / "run.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else {}
    steps = read_jsonl(run_path / "steps.jsonl")
    body = html.escape(json.dumps(redact(meta), indent=2, default=str))
    rows = "".join(
        f"<tr><td>{s.get('step')}</td><td>{html.escape(json.dumps(s.get('losses', {})))}</td></tr>"
        for s in steps
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>run report</title></head><body>"
        f"<h1>Run {html.escape(run_path.name)}</h1><pre>{body}</pre>"
        f"<p>{len(steps)} steps</p><table>{rows}</table></body></html>"
    )
    out = run_path / "report.html"
    out.write_text(page, encoding="utf-8")
    return out
