"""The molecule run's lab notebook: results table and RDKit drawings (start, final, best, the
reference drugs), the QED-Vina Pareto front, and each step's proposal beside its parent with
what changed. Reads the run's summary and step records (``textgrad_sci.report_sections``).

Fields read. Summary: ``tasks[]`` (``task``, ``target``, ``start``/``final``/``best`` with
``smiles``, ``canonical``, ``qed``, ``vina``, ``sa``, ``objective``, ``error``; ``references[]``
with ``name``, ``smiles``, ``qed``, ``vina``, optional ``sa``, ``objective``), ``pareto``
(``{task: [{smiles, canonical, qed, vina, step, kind}]}``). Steps: ``evaluations[]`` and
``proposals[]`` (``task``, ``step``, ``smiles``, ``canonical``, ``qed``, ``vina``, ``sa``,
``objective``, ``error``, ``vina_error``; proposals also ``accepted``, ``reason``), ``pareto``.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any

from textgrad_sci.report.diff import inline_segments
from textgrad_sci.report.fragments import Markup, badge, escape, fmt, table, tag
from textgrad_sci.report.sections import Section
from textgrad_sci.report.svg import scatter

DOMAIN = "molecule"
SIZE = (220, 170)
MAX_PAIRS = 300
"""Proposals drawn beside their parents (the latest ones when a run has more)."""
KINDS = ("start", "final", "best")


def _dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _list(v: Any) -> list:
    return v if isinstance(v, list) else []


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def applies(run: dict) -> bool:
    if run.get("domain"):
        return run["domain"] == DOMAIN
    tasks = _list(run["summary"].get("tasks"))
    if tasks and all(isinstance(t, dict) and "target" in t for t in tasks):
        return True
    return any(isinstance(s.get("evaluations"), list) for s in run["steps"][:3])


# -- drawing --------------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _mol(smiles: str | None):
    """The RDKit molecule of a SMILES (cached; never modified), None when it does not parse."""
    if not smiles:
        return None
    from rdkit import Chem, rdBase

    with rdBase.BlockLogs():  # scoped: a global DisableLog loses the SMILES checks' reasons
        return Chem.MolFromSmiles(smiles)


@lru_cache(maxsize=4096)
def _svg(smiles: str, highlight: tuple[int, ...] = ()) -> str:
    from rdkit.Chem.Draw import rdMolDraw2D

    mol = _mol(smiles)
    if mol is None or mol.GetNumAtoms() == 0:
        return ""
    drawer = rdMolDraw2D.MolDraw2DSVG(*SIZE)
    options = drawer.drawOptions()
    options.clearBackground = False
    colors = {i: (1.0, 0.78, 0.25) for i in highlight}
    drawer.DrawMolecule(mol, highlightAtoms=list(highlight), highlightAtomColors=colors,
                        highlightBonds=[])
    drawer.FinishDrawing()
    text = drawer.GetDrawingText()
    text = re.sub(r"^<\?xml[^>]*>\s*", "", text)
    return re.sub(r"<!--.*?-->", "", text, flags=re.S)


def drawing(smiles: str | None, caption: Any = "", highlight: tuple[int, ...] = (),
            cls: str = "") -> Markup:
    """A molecule drawn by RDKit (inline SVG) with a caption; a note for a SMILES that does not
    parse."""
    svg = _svg(smiles, tuple(highlight)) if smiles else ""
    body = Markup(svg) if svg else tag("div", f"not drawn: {smiles or 'no molecule'} does not "
                                              "parse", cls="muted nodraw")
    text = caption if isinstance(caption, Markup) else escape(caption)
    return Markup(f'<figure class="mol {escape(cls)}" data-smiles="{escape(smiles or "")}">'
                  f"{body}<figcaption>{text}</figcaption></figure>")


def _environments(mol) -> list[tuple]:
    """Per atom: its element, aromaticity, hydrogens and its bonds with their neighbours (element
    and hydrogens), so that an edit marks its site, not every atom of the same kind."""
    out = []
    for atom in mol.GetAtoms():
        bonds = sorted((str(b.GetBondType()), b.GetOtherAtom(atom).GetSymbol(),
                        b.GetOtherAtom(atom).GetTotalNumHs()) for b in atom.GetBonds())
        out.append((atom.GetSymbol(), atom.GetIsAromatic(), atom.GetTotalNumHs(), tuple(bonds)))
    return out


def _unmatched(envs: list[tuple], other: list[tuple]) -> tuple[int, ...]:
    """Atoms whose environment occurs more often here than in ``other``."""
    excess = Counter(envs) - Counter(other)
    return tuple(i for i, e in enumerate(envs) if excess[e] > 0)


def changed_atoms(parent: str | None, child: str | None
                  ) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    """Atoms of the parent and of the child whose neighbourhood the other molecule lacks (the
    site of an edit: linear time, unlike a common-substructure search), and the change in atoms
    as text (e.g. ``+1 N, −1 C``)."""
    a, b = _mol(parent), _mol(child)
    if a is None or b is None:
        return (), (), ""
    env_a, env_b = _environments(a), _environments(b)
    gone, new = _unmatched(env_a, env_b), _unmatched(env_b, env_a)
    count_a = Counter(at.GetSymbol() for at in a.GetAtoms())
    count_b = Counter(at.GetSymbol() for at in b.GetAtoms())
    delta = []
    for sym in sorted(set(count_a) | set(count_b)):
        d = count_b[sym] - count_a[sym]
        if d:
            delta.append(f"{'+' if d > 0 else '−'}{abs(d)} {sym}")
    return gone, new, ", ".join(delta) or "same atoms, rearranged"


# -- reading the record ---------------------------------------------------------------------------
def _points(run: dict, field: str) -> list[dict]:
    return [p for s in run["steps"] for p in _list(s.get(field)) if isinstance(p, dict)]


def _best(points: list[dict]) -> dict | None:
    scored = [p for p in points if _num(p.get("objective")) is not None]
    return max(scored, key=lambda p: p["objective"]) if scored else None


def tasks(run: dict) -> list[dict]:
    """Per task: ``task``, ``target``, ``start``, ``final``, ``best``, ``references``; from the
    summary, or rebuilt from the step records of a run that did not finish."""
    rows = [t for t in _list(run["summary"].get("tasks")) if isinstance(t, dict)]
    if rows:
        return rows
    evaluations, proposals = _points(run, "evaluations"), _points(run, "proposals")
    names = list(dict.fromkeys(p.get("task") for p in evaluations + proposals))
    out = []
    for name in names:
        ev = [p for p in evaluations if p.get("task") == name]
        pr = [p for p in proposals if p.get("task") == name]
        out.append({
            "task": name,
            "target": next((p.get("target") for p in ev + pr if p.get("target")), ""),
            "start": ev[0] if ev else None,
            "final": ev[-1] if ev else None,
            "best": _best(ev + pr),
            "references": _list((ev[-1] if ev else {}).get("references")),
            "partial": True,
        })
    return out


def _reference_scores(ref: dict) -> dict:
    """A reference drug's row, with SA and the objective computed when the record lacks them."""
    ref = dict(ref)
    if ref.get("sa") is None or ref.get("objective") is None:
        try:
            from textgrad_sci.losses.chem.loss import objective
            from textgrad_sci.losses.chem.properties import properties

            mol = _mol(ref.get("smiles"))
            if mol is not None and ref.get("sa") is None:
                ref["sa"] = properties(mol)["sa"]
            if ref.get("objective") is None:
                ref["objective"] = objective(_num(ref.get("qed")), _num(ref.get("vina")))
        except Exception:  # noqa: BLE001 - the table shows a dash instead
            pass
    return ref


def _name(row: dict) -> str:
    return str(row.get("task") or "molecule")


def _smiles(p: dict | None) -> str | None:
    p = _dict(p)
    return p.get("canonical") or p.get("smiles")


# -- sections -------------------------------------------------------------------------------------
def _caption(label: str, p: dict) -> Markup:
    if p.get("objective") is None and p.get("qed") is not None and p.get("vina") is not None:
        from textgrad_sci.losses.chem.loss import objective  # Pareto points carry no objective

        p = {**p, "objective": objective(_num(p.get("qed")), _num(p.get("vina")))}
    numbers = (f"QED {fmt(_num(p.get('qed')), '.3f')} · Vina {fmt(_num(p.get('vina')), '.2f')} · "
               f"objective {fmt(_num(p.get('objective')), '.3f')}")
    return Markup(f"<b>{escape(label)}</b><br>{escape(numbers)}<br>"
                  f"<span class='muted'>{escape(_smiles(p) or '')}</span>")


def _results(rows: list[dict]) -> Markup:
    parts = []
    for t in rows:
        head = ["", "QED ↑", "Vina (kcal/mol) ↓", "SA ↓", "objective ↑", "SMILES"]
        body, classes, drawings = [], [], []
        for kind in KINDS:
            p = _dict(t.get(kind))
            error = p.get("error") or p.get("vina_error")
            body.append([Markup(f"<b>{kind}</b>"), _num(p.get("qed")), _num(p.get("vina")),
                         _num(p.get("sa")), _num(p.get("objective")),
                         (_smiles(p) or "—") + (f" ({error})" if error else "")])
            classes.append(f"mol-row {kind}")
            if p:
                drawings.append(drawing(_smiles(p), _caption(kind, p), cls=kind))
        for ref in _list(t.get("references")):
            ref = _reference_scores(_dict(ref))
            label = f"reference {ref.get('name', '?')}"
            body.append([label, _num(ref.get("qed")), _num(ref.get("vina")), _num(ref.get("sa")),
                         _num(ref.get("objective")), ref.get("smiles") or "—"])
            classes.append("mol-row reference")
            drawings.append(drawing(ref.get("smiles"), _caption(label, ref), cls="reference"))
        title = f"{_name(t)} against {t.get('target') or '?'}"
        note = (" <span class='muted'>(the run did not finish: start, last evaluated and best "
                "so far, from its steps)</span>") if t.get("partial") else ""
        parts.append(Markup(f"<h3>{escape(title)}{Markup(note)}</h3>"))
        parts.append(table(head, body, cls="grid-table num mol-results", row_classes=classes))
        parts.append(Markup('<div class="mols">') + Markup("").join(drawings) + Markup("</div>"))
    parts.append(Markup("<p class='muted'>Objective = QED − Vina/10 (higher is better). "
                        "Drawings by RDKit.</p>"))
    return Markup("").join(parts)


def _pareto(run: dict, rows: list[dict]) -> Markup:
    fronts = _dict(run["summary"].get("pareto"))
    if not fronts:
        last = next((s for s in reversed(run["steps"]) if isinstance(s.get("pareto"), dict)), {})
        fronts = _dict(last.get("pareto"))
    scored = _points(run, "evaluations") + _points(run, "proposals")
    parts = []
    for t in rows:
        name = _name(t)
        front = [p for p in _list(fronts.get(name)) if isinstance(p, dict)]
        mine = [p for p in scored if p.get("task") == name]
        on_front = {_smiles(p) for p in front}
        groups = [
            {"name": "scored", "color": "#9aa2b3", "radius": 3,
             "points": [(p.get("qed"), p.get("vina"), _smiles(p) or "") for p in mine
                        if _smiles(p) not in on_front]},
            {"name": "Pareto front", "color": "#d62728", "line": True, "radius": 5,
             "points": [(p.get("qed"), p.get("vina"), _smiles(p) or "") for p in front]},
        ]
        refs = [_dict(r) for r in _list(t.get("references"))]
        if refs:
            groups.append({"name": "reference drugs", "color": "#2ca02c", "radius": 5,
                           "points": [(r.get("qed"), r.get("vina"), r.get("name", ""))
                                      for r in refs]})
        parts.append(tag("h3", f"{name}: {len(front)} molecule{'s' if len(front) != 1 else ''} on "
                               "the front"))
        parts.append(scatter(groups, title=f"{name}: QED (higher is better) vs Vina (lower is "
                             "better)", x_label="QED", y_label="Vina (kcal/mol)", cls="pareto"))
        draws = [drawing(_smiles(p), _caption(f"step {p.get('step', '?')} {p.get('kind', '')}", p),
                         cls="front") for p in front]
        parts.append(Markup('<div class="mols pareto-mols">') + Markup("").join(draws)
                     + Markup("</div>"))
    return Markup("").join(parts)


def _smiles_diff(old: str, new: str) -> Markup:
    out = []
    for kind, piece in inline_segments(old, new):
        out.append(str(escape(piece)) if kind == "eq" else f"<{kind}>{escape(piece)}</{kind}>")
    return Markup(f"<code class='searchable'>{''.join(out)}</code>")


def _delta(a: Any, b: Any, spec: str) -> str:
    a, b = _num(a), _num(b)
    return "—" if a is None or b is None else format(b - a, "+" + spec)


def _steps(run: dict) -> Markup:
    pairs = []
    for s in run["steps"]:
        parents = {p.get("task"): p for p in _list(s.get("evaluations")) if isinstance(p, dict)}
        for p in _list(s.get("proposals")):
            if isinstance(p, dict):
                pairs.append((s["step"], parents.get(p.get("task"), {}), p))
    if not pairs:
        return Markup("<p class='muted'>No proposal was recorded.</p>")
    shown = pairs[-MAX_PAIRS:]
    parts = []
    if len(pairs) > len(shown):
        parts.append(tag("p", f"The last {len(shown)} of {len(pairs)} proposals.", cls="muted"))
    for step, parent, child in shown:
        old, new = _smiles(parent), _smiles(child)
        gone, added, atoms = changed_atoms(old, new) if old and new else ((), (), "")
        accepted = bool(child.get("accepted"))
        verdict = badge("accepted", "ok") if accepted else badge("not kept", "bad")
        lines = [
            Markup(f"<b>step {step}</b> · {escape(child.get('task', ''))} ") + verdict,
            Markup(f"QED {_delta(parent.get('qed'), child.get('qed'), '.3f')}, "
                   f"Vina {_delta(parent.get('vina'), child.get('vina'), '.2f')}, "
                   f"objective {_delta(parent.get('objective'), child.get('objective'), '.3f')}"),
        ]
        if atoms:
            lines.append(escape(f"atoms: {atoms}"))
        if old and new:
            lines.append(_smiles_diff(old, new))
        problem = child.get("error") or child.get("vina_error")
        if problem:
            lines.append(tag("span", str(problem), cls="err"))
        if child.get("reason"):
            lines.append(tag("span", str(child["reason"]), cls="muted searchable"))
        change = Markup("<div class='change'>") + Markup("<br>").join(lines) + Markup("</div>")
        left = drawing(old, _caption("parent", parent), gone, cls="parent")
        right = drawing(new or child.get("smiles"), _caption("proposal", child), added,
                        cls="proposal")
        parts.append(Markup(f"<div class='pair' data-step='{step}'>") + left
                     + Markup("<span class='arrow'>→</span>") + right + change + Markup("</div>"))
    parts.append(Markup("<p class='muted'>Highlighted: atoms whose neighbourhood (element, "
                        "hydrogens, bonds and bonded elements) the other molecule lacks: removed "
                        "or changed on the left, new or changed on the right.</p>"))
    return Markup("").join(parts)


def sections(run: dict) -> list[Section]:
    rows = tasks(run)
    if not rows:
        return [Section("molecule-results", "Molecules",
                        Markup("<p class='muted'>No molecule has been scored yet.</p>"))]
    return [
        Section("molecule-results", "Molecules", _results(rows)),
        Section("molecule-pareto", "Pareto front", _pareto(run, rows)),
        Section("molecule-steps", "Proposals", _steps(run)),
    ]


def results(run: dict) -> dict[str, Any]:
    """Best and final objective, QED and Vina of each task (for the comparison page)."""
    out: dict[str, Any] = {}
    rows = tasks(run)
    for t in rows:
        prefix = f"{_name(t)} " if len(rows) > 1 else ""
        best, final = _dict(t.get("best")), _dict(t.get("final"))
        out[f"{prefix}best objective"] = _num(best.get("objective"))
        out[f"{prefix}best QED"] = _num(best.get("qed"))
        out[f"{prefix}best Vina"] = _num(best.get("vina"))
        out[f"{prefix}final objective"] = _num(final.get("objective"))
        out[f"{prefix}best SMILES"] = _smiles(best)
    return out
