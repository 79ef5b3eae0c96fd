"""Runs side by side on one self-contained page: the settings that differ, the score curves
overlaid, the final results in one table (``textgrad-sci report RUN_A RUN_B --out FILE``)."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from markupsafe import Markup

from .charts import score_series
from .data import flatten, load_run
from .fragments import fmt
from .render import _asset, environment
from .sections import domain_results, run_view
from .svg import color, line_chart

MAX_CHARTS = 12
MISSING = "—"
MAX_CELL = 60
"""Longer result values are cut in the table (the whole text is the cell's tooltip)."""


def _label(path: Path, taken: set[str]) -> str:
    name = path.resolve().name
    label, n = name, 2
    while label in taken:
        label, n = f"{name} ({n})", n + 1
    taken.add(label)
    return label


def _settings(meta: dict) -> dict[str, str]:
    engine = meta.get("engine")
    rows = flatten(meta.get("config") or {})
    rows += [(f"engine.{k}", v) for k, v in (flatten(engine) if isinstance(engine, dict)
                                              else flatten({"engine": engine}))]
    return dict(rows)


def differing_settings(settings: list[dict[str, str]]) -> list[tuple[str, list[str]]]:
    """``(key, value per run)`` for each setting whose value is not the same in every run."""
    keys: list[str] = []
    for s in settings:
        keys.extend(k for k in s if k not in keys)
    rows = []
    for key in keys:
        values = [s.get(key, MISSING) for s in settings]
        if len(set(values)) > 1:
            rows.append((key, values))
    return rows


def _last(points: list[tuple[int, float]]) -> float | None:
    return points[-1][1] if points else None


def build_compare_data(run_dirs: list[str | os.PathLike]) -> dict:
    """Everything the comparison page shows, as plain data."""
    runs, taken = [], set()
    for d in run_dirs:
        loaded = load_run(d)
        view = run_view(loaded)
        domain, results = domain_results(view)
        meta = loaded["meta"]
        runs.append({
            "label": _label(Path(d), taken),
            "path": str(Path(d)),
            "report": (Path(d) / "report.html").resolve().as_uri()
            if (Path(d) / "report.html").exists() else "",
            "status": str(meta.get("status") or "unknown"),
            "domain": view["domain"] or domain or "",
            "n_steps": len(loaded["steps"]),
            "settings": _settings(meta),
            "series": score_series(loaded["steps"]),
            "results": results,
            "usage": meta.get("usage") if isinstance(meta.get("usage"), dict) else {},
        })
    names: list[str] = []
    for r in runs:
        names.extend(n for n in r["series"] if n not in names)
    charts = []
    for name in names:
        series = [
            {"name": r["label"], "points": r["series"].get(name, []), "color": color(i)}
            for i, r in enumerate(runs)
        ]
        charts.append({"name": name, "svg": line_chart(series, title=name, y_label=name,
                                                       width=520, height=280)})
    result_keys: list[str] = []
    for r in runs:
        result_keys.extend(k for k in r["results"] if k not in result_keys)
    final_rows = []
    for r in runs:
        cells = [fmt(r["results"].get(k), ".4g", MISSING) for k in result_keys]
        cells += [fmt(_last(r["series"].get(n, [])), ".4g", MISSING) for n in names]
        usage = r["usage"]
        cells += [fmt(usage.get("calls"), "d", MISSING), fmt(usage.get("cost_usd"), ".4f", MISSING)]
        final_rows.append({"label": r["label"], "cells": cells,
                           "short": [c if len(c) <= MAX_CELL else c[: MAX_CELL - 1] + "…"
                                     for c in cells]})
    return {
        "title": f"textgrad-sci: {len(runs)} runs compared",
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "runs": runs,
        "differing": differing_settings([r["settings"] for r in runs]),
        "n_settings": len({k for r in runs for k in r["settings"]}),
        "charts": charts[:MAX_CHARTS],
        "more_charts": charts[MAX_CHARTS:],
        "final_head": result_keys + [f"last {n}" for n in names] + ["model calls", "cost (USD)"],
        "final_rows": final_rows,
        "colors": [color(i) for i in range(len(runs))],
    }


def render_compare(data: dict) -> str:
    template = environment().get_template("compare.html.j2")
    return template.render(**data, css=_asset("report.css"), Markup=Markup)


def write_compare(run_dirs: list[str | os.PathLike], out: str | os.PathLike) -> Path:
    """Write the comparison page of ``run_dirs`` to ``out`` (atomically); return its path."""
    page = render_compare(build_compare_data(run_dirs))
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out_path)
    return out_path

