"""Tool scores per step as small inline-SVG line charts (one per score name)."""

from __future__ import annotations

import math

WIDTH, HEIGHT = 340, 170
LEFT, RIGHT, TOP, BOTTOM = 52, 14, 14, 30


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def score_series(steps: list[dict]) -> dict[str, list[tuple[int, float]]]:
    """``{score name: [(step, value), ...]}`` from the numeric ``losses`` of each step."""
    series: dict[str, list[tuple[int, float]]] = {}
    for s in steps:
        losses = s.get("losses")
        if not isinstance(losses, dict):
            continue
        for name, value in losses.items():
            if _is_number(value):
                series.setdefault(str(name), []).append((s["step"], float(value)))
    return series


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if hi == lo:
        return [lo]
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


def line_chart(name: str, points: list[tuple[int, float]]) -> dict:
    """Geometry of one chart: polyline path, markers with their values, axis ticks."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x_lo, x_hi = min(xs), max(xs)
    y_lo, y_hi = min(ys), max(ys)
    pad = (y_hi - y_lo) * 0.08 or (abs(y_hi) * 0.1 or 1.0)
    y_lo, y_hi = y_lo - pad, y_hi + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + (plot_w / 2 if x_hi == x_lo else (x - x_lo) / (x_hi - x_lo) * plot_w)

    def py(y: float) -> float:
        return TOP + plot_h - (y - y_lo) / (y_hi - y_lo) * plot_h

    markers = [
        {"step": x, "value": _fmt(y), "x": round(px(x), 1), "y": round(py(y), 1)} for x, y in points
    ]
    path = " ".join(f"{'M' if i == 0 else 'L'}{m['x']},{m['y']}" for i, m in enumerate(markers))
    x_ticks = (
        sorted(set(xs))
        if len(set(xs)) <= 8
        else sorted({round(x_lo + (x_hi - x_lo) * i / 5) for i in range(6)})
    )
    return {
        "name": name,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "top": TOP,
        "plot_w": plot_w,
        "plot_h": plot_h,
        "path": path,
        "markers": markers,
        "y_ticks": [
            {"y": round(py(v), 1), "label": _fmt(v)} for v in _ticks(y_lo + pad, y_hi - pad)
        ],
        "x_ticks": [{"x": round(px(v), 1), "label": str(v)} for v in x_ticks],
        "first": _fmt(ys[0]),
        "last": _fmt(ys[-1]),
        "min": _fmt(min(ys)),
        "max": _fmt(max(ys)),
    }


def score_charts(steps: list[dict]) -> list[dict]:
    return [line_chart(name, pts) for name, pts in score_series(steps).items()]
