"""The radiotherapy run's lab notebook: the clinical goal table (start, final, met), the DVH of
the start and final plans, a dose slice through the target with the structures' outlines, and the
goals per step. Reads the run's summary and steps (``textgrad_sci.report_sections``).

The dose is not in the step records: :func:`report_fields` turns the start and final plans'
evaluations into compact JSON for the summary (``summary.update(report_fields(...))``).

Fields read. Summary: ``goals`` (goal dicts: ``structure``, ``metric``, ``op``, ``value``; else
``RUN_DIR/goals.json``), ``start_goals`` and ``final_goals`` (``PlanEvaluation.numbers()``:
``metrics``, ``met``, ``margins``, ``goals_met``, ``goals_total``, ``score``, ``error``; else the
first and last step's ``goals``), ``dose`` (``dvh``, ``slice``: see :func:`report_fields`),
``score_initial``, ``score_final``, ``score_best``, ``best_iteration``, ``tuner``. Steps:
``goals``, ``updates``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np

from textgrad_sci.report.fragments import Markup, badge, escape, fmt, note, table, tag
from textgrad_sci.report.sections import Section
from textgrad_sci.report.svg import color, colormap, heat_png, line_chart, mask_outline

DOMAIN = "radiotherapy"
DVH_POINTS = 90
DOSE_SCALE = 0.01
"""Gy per unit of the slice's uint16 dose values."""
CELL_PX = 3
"""Screen pixels per voxel of the dose slice (at least)."""
SLICE_PX = 270
"""Width of a dose slice on the page, about."""


def _dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _list(v: Any) -> list:
    return v if isinstance(v, list) else []


def applies(run: dict) -> bool:
    if run.get("domain"):
        return run["domain"] == DOMAIN
    return any(isinstance(s.get("goals"), dict) and "evaluated_plan" in s for s in run["steps"][:3])


# -- what the lead's summary gets ----------------------------------------------------------------
def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _dvh_points(dose: np.ndarray, mask: np.ndarray) -> list[list[float]]:
    from textgrad_sci.losses.dose import dvh

    x, y = dvh(dose, mask, DVH_POINTS)
    return [[round(float(a), 3), round(float(b), 3)] for a, b in zip(x, y, strict=True)]


def report_fields(case, goals, initial, final) -> dict:
    """``goals``, ``start_goals``, ``final_goals`` and ``dose`` (DVH curves and the axial slice
    through the target's centroid, start and final plan) for the run's summary. ``initial`` and
    ``final`` are ``PlanEvaluation``s (their ``dose`` may be None after a failed plan)."""
    names = [n for n in case.structures if n != "BODY"]
    k = int(round(float(np.argwhere(case.structures[case.target])[:, 0].mean())))
    fields: dict[str, Any] = {
        "goals": [g.to_dict() for g in goals],
        "start_goals": initial.numbers() if initial is not None else None,
        "final_goals": final.numbers() if final is not None else None,
    }
    ny, nx = case.shape[1:]
    dens = case.densities[k]
    grey = np.clip(dens / max(float(dens.max()), 1e-6) * 255, 0, 255).astype(np.uint8)
    slice_: dict[str, Any] = {
        "axis": "z", "index": k, "shape": [ny, nx],
        "spacing_mm": [case.spacing_mm[1], case.spacing_mm[2]], "dose_scale_gy": DOSE_SCALE,
        "density": _b64(grey),
        "masks": {n: _b64(np.packbits(case.structures[n][k].astype(np.uint8)))
                  for n in case.structures if case.structures[n][k].any()},
    }
    dvh: dict[str, dict] = {}
    for which, ev in (("start", initial), ("final", final)):
        dose = getattr(ev, "dose", None)
        if dose is None:
            continue
        dose = np.asarray(dose).reshape(case.shape)
        dvh[which] = {n: _dvh_points(dose, case.structures[n]) for n in names
                      if case.structures[n].any()}
        slice_[which] = _b64(np.clip(np.round(dose[k] / DOSE_SCALE), 0, 65535).astype("<u2"))
    fields["dose"] = {"prescription_gy": case.prescription_gy, "target": case.target,
                      "structures": names, "dvh": dvh, "slice": slice_}
    return fields


# -- reading the record ---------------------------------------------------------------------------
def _label(goal: dict) -> str:
    metric = str(goal.get("metric", ""))
    if metric[:1] in "Vv" and not metric.lower().endswith("gy"):
        metric += "Gy"
    return f"{goal.get('structure', '?')} {metric}"


def _goal_defs(run: dict) -> list[dict]:
    goals = _list(run["summary"].get("goals"))
    if not goals:
        path = run["path"] / "goals.json"
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            goals = _list(doc.get("goals") if isinstance(doc, dict) else doc)
        except (OSError, ValueError):
            goals = []
    return [g for g in goals if isinstance(g, dict)]


def _ends(run: dict) -> tuple[dict, dict, str]:
    """The start and final plan's goal numbers and what 'final' stands for."""
    steps = [s for s in run["steps"] if isinstance(s.get("goals"), dict)]
    start = _dict(run["summary"].get("start_goals")) or (steps[0]["goals"] if steps else {})
    final = _dict(run["summary"].get("final_goals"))
    if final:
        return start, final, "final plan"
    if steps:
        return start, steps[-1]["goals"], f"last evaluated plan (step {steps[-1]['step']})"
    return start, {}, "final plan"


def _unit(label: str) -> str:
    metric = label.split(" ")[-1]
    return "%" if metric[:1] in "Vv" else "Gy"


def _met(flag: Any) -> Markup:
    if flag is None:
        return Markup("—")
    return Markup("<span class='met'>met</span>") if flag else Markup(
        "<span class='missed'>missed</span>")


def _goal_table(run: dict) -> Markup:
    start, final, final_label = _ends(run)
    defs = {_label(g): g for g in _goal_defs(run)}
    measured = [*_dict(start.get("metrics")), *_dict(final.get("metrics"))]
    labels = list(dict.fromkeys([*defs, *measured]))
    if not labels:
        return note("No goal has been evaluated yet.")
    rows, classes = [], []
    for label in labels:
        g = defs.get(label, {})
        goal = f"{label} {g.get('op', '')} {fmt(g.get('value'), '.4g', '?')} {_unit(label)}" if g \
            else label
        s_val = _dict(start.get("metrics")).get(label)
        f_val = _dict(final.get("metrics")).get(label)
        f_met = _dict(final.get("met")).get(label)
        rows.append([goal, fmt(s_val, ".2f"), _met(_dict(start.get("met")).get(label)),
                     fmt(f_val, ".2f"), _met(f_met), fmt(_dict(final.get("margins")).get(label),
                                                         "+.2f")])
        classes.append("goal-row " + ("goal-met" if f_met else "goal-missed"))
    head = ["goal", "start", "start met", final_label, "met", "margin (final)"]
    summary = run["summary"]
    line = (f"Goals met: {fmt(start.get('goals_met'), 'd')} of {fmt(start.get('goals_total'), 'd')}"
            f" at the start, {fmt(final.get('goals_met'), 'd')} of "
            f"{fmt(final.get('goals_total'), 'd')} in the {final_label}; goal score "
            f"{fmt(start.get('score'), '.3f')} → {fmt(final.get('score'), '.3f')} (0 when every "
            "goal is met")
    if summary.get("best_iteration") is not None:
        line += f"; best iteration {summary['best_iteration']}"
    line += ")."
    if final.get("error"):
        line += f" The final plan failed: {final['error']}"
    return tag("p", line) + table(head, rows, cls="grid-table num goal-table", id="goal-table",
                                  row_classes=classes)


def _decode(text: str, dtype: str, shape: list[int] | None = None) -> np.ndarray:
    data = np.frombuffer(base64.b64decode(text), dtype=dtype)
    return data.reshape(shape) if shape else data


def _mask(text: str, shape: list[int]) -> np.ndarray:
    bits = np.unpackbits(_decode(text, "uint8"))[: shape[0] * shape[1]]
    return bits.reshape(shape).astype(bool)


def _colors(dose: dict) -> dict[str, str]:
    """One colour per structure, the same in the DVH and on the slices."""
    names = [str(n) for n in _list(dose.get("structures"))]
    final_dvh = _dict(_dict(dose.get("dvh")).get("final"))
    masks = _dict(_dict(dose.get("slice")).get("masks"))
    names += [n for n in [*final_dvh, *masks] if n not in names]
    return {n: color(i) for i, n in enumerate(names)}


def _dvh(dose: dict) -> Markup:
    dvh = _dict(dose.get("dvh"))
    series = []
    colors = _colors(dose)
    names = list(dict.fromkeys([*_dict(dvh.get("start")), *_dict(dvh.get("final"))]))
    for name in names:
        for which, dashed in (("start", True), ("final", False)):
            pts = _list(_dict(dvh.get(which)).get(name))
            if pts:
                series.append({"name": f"{name} ({which})", "color": colors.get(name, "#555"),
                               "dashed": dashed,
                               "points": [(p[0], p[1]) for p in pts if len(p) == 2]})
    if not series:
        return note("No DVH: neither plan has a dose (both failed?).")
    return line_chart(series, title="DVH: start plan dashed, final plan solid", x_label="dose (Gy)",
                      y_label="volume (%)", width=560, height=340, y_range=(0, 102),
                      markers=False, cls="dvh", integer_x=False)


def _slice_view(sl: dict, which: str, vmax: float, rx: float, colors: dict) -> Markup:
    shape = [int(v) for v in _list(sl.get("shape"))]
    ny, nx = shape
    dose = _decode(sl[which], "<u2", shape).astype(float) * float(sl.get("dose_scale_gy",
                                                                           DOSE_SCALE))
    grey = (_decode(sl["density"], "uint8", shape) / 255.0).tolist() if sl.get("density") \
        else None
    uri = heat_png(dose.tolist(), 0.0, vmax, floor=0.05 * rx, background=grey)
    dy, dx = (float(v) for v in _list(sl.get("spacing_mm")) or [1.0, 1.0])
    scale = max(CELL_PX, int(SLICE_PX / max(nx, 1)))
    w, h = nx * scale, int(round(ny * scale * dy / dx))
    outlines = []
    for name, text in _dict(sl.get("masks")).items():
        path = mask_outline(_mask(text, shape).tolist())
        if path:
            outlines.append(f'<path class="outline" data-structure="{escape(name)}" d="{path}" '
                            f'stroke="{colors.get(name, "#555")}" fill="none" '
                            'stroke-width="0.3"><title>'
                            f"{escape(name)}</title></path>")
    svg = (f'<svg class="dose-slice" data-plan="{which}" viewBox="0 0 {nx} {ny}" width="{w}" '
           f'height="{h}" preserveAspectRatio="none" role="img" aria-label="{which} plan dose">'
           f'<image href="{uri}" x="0" y="0" width="{nx}" height="{ny}" '
           f'preserveAspectRatio="none" style="image-rendering:pixelated"></image>'
           f'{"".join(outlines)}</svg>')
    caption = f"{which} plan: slice {sl.get('axis', 'z')} = {sl.get('index', '?')}"
    return Markup(f'<figure class="doseview">{svg}<figcaption>{escape(caption)}</figcaption>'
                  "</figure>")


def _slices(dose: dict) -> Markup:
    sl = _dict(dose.get("slice"))
    if not sl.get("shape") or not (sl.get("start") or sl.get("final")):
        return note("No dose slice: the summary's dose.slice has no start or final dose.")
    rx = float(dose.get("prescription_gy") or 1.0)
    vmax = 1.1 * rx
    colors = _colors(dose)
    views = [_slice_view(sl, w, vmax, rx, colors) for w in ("start", "final") if sl.get(w)]
    stops = ", ".join(f"rgb{colormap(t / 10)} {t * 10}%" for t in range(11))
    bar = Markup(f'<div class="colorbar" style="background:linear-gradient(to right, {stops})">'
                 f"</div><p class='muted'>0 → {vmax:.1f} Gy (110% of the {rx:g} Gy prescription); "
                 "voxels under 5% of the prescription show the density. Outlines: ")
    names = list(_dict(sl.get("masks")))
    legend = Markup(", ").join(
        Markup(f"<b style='color:{colors.get(n, '#555')}'>{escape(n)}</b>") for n in names)
    views_html = Markup("<div class='doseviews'>") + Markup("").join(views) + Markup("</div>")
    return Markup("<div class='slices'>") + views_html + bar + legend + Markup("</p></div>")


def _dose(run: dict) -> Markup:
    dose = _dict(run["summary"].get("dose"))
    if not dose:
        return note("The DVH and the dose slice need the dose of the start and final plans, which "
                    "this run did not record: its summary has no 'dose' field (written by "
                    "textgrad_sci.domains.radiotherapy.report.report_fields). The PNG plots under "
                    "Plots show them.")
    return Markup("<div class='dose-row'>") + _dvh(dose) + _slices(dose) + Markup("</div>")


def _per_step(run: dict) -> Markup:
    steps = [s for s in run["steps"] if isinstance(s.get("goals"), dict)]
    if not steps:
        return note("No step recorded yet.")
    labels = list(_dict(steps[0]["goals"].get("metrics")))
    rows = []
    for s in steps:
        g = s["goals"]
        upd = next((u for u in s.get("updates", []) if isinstance(u, dict)), {})
        verdict = (badge("accepted", "ok") if upd.get("accepted") else badge("not kept", "bad")) \
            if upd else Markup("—")
        cells = [s["step"], f"{fmt(g.get('goals_met'), 'd')}/{fmt(g.get('goals_total'), 'd')}",
                 fmt(g.get("score"), ".3f")]
        for label in labels:
            value = _dict(g.get("metrics")).get(label)
            met = _dict(g.get("met")).get(label)
            klass = "met" if met else "missed"
            cells.append(Markup(f"<span class='{klass}'>{escape(fmt(value, '.1f'))}</span>")
                         if value is not None else "—")
        rows.append([*cells, verdict])
    return table(["step", "met", "score", *labels, "proposal"], rows, cls="grid-table num",
                 id="goals-per-step")


def sections(run: dict) -> list[Section]:
    return [
        Section("rt-goals", "Clinical goals", _goal_table(run)),
        Section("rt-dose", "Dose", _dose(run)),
        Section("rt-steps", "Goals per step", _per_step(run)),
    ]


def results(run: dict) -> dict[str, Any]:
    start, final, _ = _ends(run)
    s = run["summary"]
    return {
        "goals met (start)": start.get("goals_met"),
        "goals met (final)": final.get("goals_met"),
        "goals": final.get("goals_total") or start.get("goals_total"),
        "goal score (final)": final.get("score") if final else s.get("score_final"),
        "goal score (best)": s.get("score_best"),
    }
