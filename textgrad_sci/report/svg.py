"""Inline-SVG plots for report sections: several series on one chart (DVHs, accuracies, score
curves of compared runs), scatter plots, and images as ``data:`` PNGs (dose maps). No library:
the page stays self-contained and the report fast."""

from __future__ import annotations

import base64
import math
import struct
import zlib
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)
LEFT, RIGHT, TOP, BOTTOM = 56, 14, 14, 36


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering ``[lo, hi]``."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step - 1e-9) * step
    ticks = []
    v = start
    while v <= hi + step * 1e-6 and len(ticks) < 20:
        ticks.append(round(v, 10))
        v += step
    return ticks


class Axes:
    """Data-to-pixel mapping of one chart."""

    def __init__(self, xs: Sequence[float], ys: Sequence[float], width: int, height: int,
                 x_range: tuple[float, float] | None = None,
                 y_range: tuple[float, float] | None = None) -> None:
        self.width, self.height = width, height
        self.pw, self.ph = width - LEFT - RIGHT, height - TOP - BOTTOM
        x_lo, x_hi = x_range or (min(xs, default=0.0), max(xs, default=1.0))
        y_lo, y_hi = y_range or (min(ys, default=0.0), max(ys, default=1.0))
        if y_range is None:
            pad = (y_hi - y_lo) * 0.06 or (abs(y_hi) * 0.1 or 1.0)
            y_lo, y_hi = y_lo - pad, y_hi + pad
        if x_hi == x_lo:
            x_lo, x_hi = x_lo - 0.5, x_hi + 0.5
        self.x_lo, self.x_hi, self.y_lo, self.y_hi = x_lo, x_hi, y_lo, y_hi

    def px(self, x: float) -> float:
        return round(LEFT + (x - self.x_lo) / (self.x_hi - self.x_lo) * self.pw, 1)

    def py(self, y: float) -> float:
        return round(TOP + self.ph - (y - self.y_lo) / (self.y_hi - self.y_lo) * self.ph, 1)

    def frame(self, x_label: str, y_label: str, integer_x: bool = False) -> list[str]:
        out = [f'<rect class="plotbg" x="{LEFT}" y="{TOP}" width="{self.pw}" height="{self.ph}">'
               "</rect>"]
        for t in nice_ticks(self.y_lo, self.y_hi):
            y = self.py(t)
            out.append(f'<line class="grid" x1="{LEFT}" x2="{LEFT + self.pw}" y1="{y}" y2="{y}">'
                       f'</line><text class="tick" x="{LEFT - 5}" y="{y + 4}" '
                       f'text-anchor="end">{_fmt(t)}</text>')
        xt = nice_ticks(self.x_lo, self.x_hi, 6)
        if integer_x:
            xt = sorted({int(round(t)) for t in xt if abs(t - round(t)) < 1e-9})
        for t in xt:
            x = self.px(t)
            out.append(f'<text class="tick" x="{x}" y="{TOP + self.ph + 15}" '
                       f'text-anchor="middle">{_fmt(t)}</text>')
        out.append(f'<text class="axis" x="{LEFT + self.pw / 2}" y="{self.height - 4}" '
                   f'text-anchor="middle">{escape(x_label)}</text>')
        out.append(f'<text class="axis" transform="translate(12,{TOP + self.ph / 2}) rotate(-90)" '
                   f'text-anchor="middle">{escape(y_label)}</text>')
        return out


def _legend(entries: list[tuple[str, str, bool]]) -> str:
    items = []
    for name, col, dashed in entries:
        style = "dashed" if dashed else "solid"
        items.append(f'<span class="lg"><i style="border-top:3px {style} {col}"></i>'
                     f"{escape(name)}</span>")
    return f'<div class="legend-row">{"".join(items)}</div>'


def line_chart(
    series: Sequence[dict],
    *,
    title: str = "",
    x_label: str = "step",
    y_label: str = "",
    width: int = 560,
    height: int = 300,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    markers: bool = True,
    cls: str = "",
    integer_x: bool = True,
) -> Markup:
    """Several series on one chart. A series: ``{"name", "points": [(x, y)], "color"?,
    "dashed"?}``; points that are not finite numbers are skipped."""
    clean = []
    for i, s in enumerate(series):
        pts = [(float(x), float(y)) for x, y in s.get("points", []) if _finite(x) and _finite(y)]
        clean.append({**s, "points": pts, "color": s.get("color") or color(i)})
    xs = [x for s in clean for x, _ in s["points"]]
    ys = [y for s in clean for _, y in s["points"]]
    if not xs:
        return Markup('<p class="muted">no numbers recorded for this chart</p>')
    ax = Axes(xs, ys, width, height, x_range, y_range)
    body = ax.frame(x_label, y_label, integer_x)
    for s in clean:
        if not s["points"]:
            continue
        d = " ".join(f"{'M' if j == 0 else 'L'}{ax.px(x)},{ax.py(y)}"
                     for j, (x, y) in enumerate(s["points"]))
        dash = ' stroke-dasharray="6 4"' if s.get("dashed") else ""
        body.append(f'<path class="series" data-series="{escape(s["name"])}" d="{d}" '
                    f'stroke="{s["color"]}" fill="none" stroke-width="2"{dash}></path>')
        if markers and len(s["points"]) <= 60:
            for x, y in s["points"]:
                body.append(f'<circle cx="{ax.px(x)}" cy="{ax.py(y)}" r="3" fill="#fff" '
                            f'stroke="{s["color"]}" stroke-width="1.6"><title>'
                            f'{escape(s["name"])}: {_fmt(y)} at {_fmt(x)}</title></circle>')
    legend = _legend([(s["name"], s["color"], bool(s.get("dashed"))) for s in clean])
    caption = f"<figcaption><b>{escape(title)}</b></figcaption>" if title else ""
    svg = (f'<svg class="plot" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'role="img" aria-label="{escape(title or y_label)}">{"".join(body)}</svg>')
    klass = f"plotfig {cls}".strip()
    return Markup(f'<figure class="{klass}">{caption}{svg}{legend}</figure>')


def scatter(
    groups: Sequence[dict],
    *,
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    width: int = 460,
    height: int = 320,
    line: bool = False,
    cls: str = "",
) -> Markup:
    """Points in groups: ``{"name", "points": [(x, y, label)], "color"?, "line"?}``."""
    xs = [p[0] for g in groups for p in g["points"] if _finite(p[0]) and _finite(p[1])]
    ys = [p[1] for g in groups for p in g["points"] if _finite(p[0]) and _finite(p[1])]
    if not xs:
        return Markup('<p class="muted">no scored points to plot</p>')
    span = (max(xs) - min(xs)) * 0.06 or 0.05
    ax = Axes(xs, ys, width, height, x_range=(min(xs) - span, max(xs) + span))
    body = ax.frame(x_label, y_label)
    entries = []
    for i, g in enumerate(groups):
        col = g.get("color") or color(i)
        pts = [p for p in g["points"] if _finite(p[0]) and _finite(p[1])]
        if g.get("line") and len(pts) > 1:
            d = " ".join(f"{'M' if j == 0 else 'L'}{ax.px(p[0])},{ax.py(p[1])}"
                         for j, p in enumerate(sorted(pts)))
            body.append(f'<path d="{d}" stroke="{col}" fill="none" stroke-width="1.5"></path>')
        r = g.get("radius", 4)
        for p in pts:
            label = p[2] if len(p) > 2 else ""
            body.append(f'<circle class="dot" data-group="{escape(g["name"])}" '
                        f'cx="{ax.px(p[0])}" cy="{ax.py(p[1])}" r="{r}" fill="{col}" '
                        f'fill-opacity=".75"><title>{escape(label)} ({_fmt(p[0])}, '
                        f"{_fmt(p[1])})</title></circle>")
        entries.append((g["name"], col, False))
    caption = f"<figcaption><b>{escape(title)}</b></figcaption>" if title else ""
    svg = (f'<svg class="plot" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'role="img" aria-label="{escape(title)}">{"".join(body)}</svg>')
    klass = f"plotfig {cls}".strip()
    return Markup(f'<figure class="{klass}">{caption}{svg}{_legend(entries)}</figure>')


# -- images ---------------------------------------------------------------------------------------
def png_uri(rgb_rows: Sequence[bytes], width: int) -> str:
    """A ``data:`` URI of an 8-bit RGB PNG from its rows (``width * 3`` bytes each)."""
    raw = b"".join(b"\x00" + row for row in rgb_rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, len(rgb_rows), 8, 2, 0, 0, 0)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6))
           + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


_JET = ((0.0, (0, 0, 131)), (0.125, (0, 60, 170)), (0.375, (5, 255, 255)),
        (0.625, (255, 255, 0)), (0.875, (250, 0, 0)), (1.0, (128, 0, 0)))


def colormap(t: float) -> tuple[int, int, int]:
    """A jet-like colour for ``t`` in [0, 1]."""
    t = min(max(t, 0.0), 1.0)
    for (t0, c0), (t1, c1) in zip(_JET, _JET[1:], strict=False):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            return tuple(int(round(a + (b - a) * f)) for a, b in zip(c0, c1, strict=True))  # type: ignore[return-value]
    return _JET[-1][1]


def heat_png(grid: Sequence[Sequence[float]], vmin: float, vmax: float,
             floor: float | None = None, background: Sequence[Sequence[float]] | None = None
             ) -> str:
    """A ``data:`` PNG of ``grid`` in the colormap; values under ``floor`` show ``background``
    (grey levels 0..1) or white."""
    lut = [bytes(colormap(i / 255)) for i in range(256)]
    span = (vmax - vmin) or 1.0
    rows = []
    for r, line in enumerate(grid):
        out = bytearray()
        for c, v in enumerate(line):
            if floor is not None and v < floor:
                g = background[r][c] if background is not None else 1.0
                level = int(min(max(g, 0.0), 1.0) * 255)
                out += bytes((level, level, level))
            else:
                out += lut[int(min(max((v - vmin) / span, 0.0), 1.0) * 255)]
        rows.append(bytes(out))
    return png_uri(rows, len(grid[0]) if grid else 0)


def mask_outline(mask: Sequence[Sequence[bool]]) -> str:
    """An SVG path (one unit per pixel) tracing the edges between a mask's pixels and the rest."""
    ny = len(mask)
    nx = len(mask[0]) if ny else 0
    parts = []
    for y in range(ny):
        for x in range(nx):
            if not mask[y][x]:
                continue
            if y == 0 or not mask[y - 1][x]:
                parts.append(f"M{x},{y}h1")
            if y == ny - 1 or not mask[y + 1][x]:
                parts.append(f"M{x},{y + 1}h1")
            if x == 0 or not mask[y][x - 1]:
                parts.append(f"M{x},{y}v1")
            if x == nx - 1 or not mask[y][x + 1]:
                parts.append(f"M{x + 1},{y}v1")
    return "".join(parts)
