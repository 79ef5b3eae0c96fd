"""Small HTML builders for report sections (what a domain's ``report.py`` returns is made of these).

Every text argument is escaped; only :class:`Markup` (what these functions return) passes as is,
so a SMILES, a code line or a model's answer can never become markup on the page.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from markupsafe import Markup, escape

from .diff import diff_stats, text_diff

__all__ = [
    "Markup",
    "badge",
    "cell",
    "details",
    "diff_block",
    "escape",
    "fmt",
    "join",
    "kv_table",
    "note",
    "pre",
    "table",
    "tag",
]

_OPS = {"=": "eq", "-": "del", "+": "ins", "~": "chg", "…": "fold"}


def fmt(value: Any, spec: str = ".4g", missing: str = "—") -> str:
    """A number as text (``missing`` for None/NaN); other values as their text."""
    if value is None:
        return missing
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return missing
        return format(value, spec)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def cell(value: Any, spec: str = ".4g") -> Markup:
    """A table cell's content: Markup as is, numbers formatted, anything else escaped."""
    if isinstance(value, Markup):
        return value
    return escape(fmt(value, spec))


def join(parts: Iterable[Any], sep: str = "") -> Markup:
    return Markup(sep).join(cell(p) for p in parts)


def tag(name: str, body: Any = "", cls: str | None = None, **attrs: Any) -> Markup:
    """``<name class=cls attrs>body</name>``; attribute names use ``_`` for ``-``."""
    items = [("class", cls)] if cls else []
    items += [(k.rstrip("_").replace("_", "-"), v) for k, v in attrs.items() if v is not None]
    attr_text = "".join(f' {k}="{escape(str(v))}"' for k, v in items)
    if isinstance(body, list | tuple):
        body = join(body)
    return Markup(f"<{name}{attr_text}>{cell(body)}</{name}>")


def badge(text: str, kind: str = "") -> Markup:
    return tag("span", text, cls=f"badge {kind}".strip())


def note(text: Any) -> Markup:
    return tag("p", text, cls="note")


def pre(text: Any, cls: str = "searchable") -> Markup:
    return tag("pre", "" if text is None else fmt(text), cls=cls)


def details(summary: Any, body: Any, open: bool = False, cls: str | None = None) -> Markup:
    attrs = " open" if open else ""
    klass = f' class="{escape(cls)}"' if cls else ""
    head = f"<details{klass}{attrs}><summary>{cell(summary)}</summary>"
    return Markup(f"{head}{cell(body)}</details>")


def table(
    head: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    cls: str = "grid-table",
    id: str | None = None,
    row_classes: Sequence[str] | None = None,
) -> Markup:
    """A table: ``head`` cells, then one ``<tr>`` per row (cells formatted by :func:`cell`)."""
    out = [f'<table class="{escape(cls)}"' + (f' id="{escape(id)}"' if id else "") + ">"]
    out.append("<thead><tr>" + "".join(f"<th>{cell(h)}</th>" for h in head) + "</tr></thead>")
    out.append("<tbody>")
    for i, row in enumerate(rows):
        klass = row_classes[i] if row_classes and i < len(row_classes) else ""
        attr = f' class="{escape(klass)}"' if klass else ""
        out.append(f"<tr{attr}>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    return Markup("".join(out))


def kv_table(rows: Iterable[tuple[Any, Any]]) -> Markup:
    body = "".join(f"<tr><th>{cell(k)}</th><td>{cell(v)}</td></tr>" for k, v in rows)
    return Markup(f'<table class="kv">{body}</table>')


def diff_rows_html(rows: list[dict]) -> Markup:
    """Rows of :func:`text_diff` as the page's diff block."""
    if not rows:
        return Markup('<p class="muted">no change</p>')
    out = ['<div class="diff searchable">']
    for row in rows:
        out.append(f'<div class="drow op{_OPS.get(row["op"], "eq")}">')
        out.append(f'<span class="dop">{escape(row["op"])}</span>')
        for kind, piece in row["segments"]:
            out.append(str(escape(piece)) if kind == "eq" else f"<{kind}>{escape(piece)}</{kind}>")
        out.append("</div>")
    out.append("</div>")
    return Markup("".join(out))


def diff_block(old: str, new: str, label: str | None = None) -> Markup:
    """The diff of two texts, with a ``+ins −del characters`` badge when ``label`` is given."""
    rows = text_diff(old or "", new or "")
    if label is None:
        return diff_rows_html(rows)
    stats = diff_stats(rows)
    head = tag("h4", [label, " ", badge(f"+{stats['inserted']} −{stats['deleted']} characters")])
    return head + diff_rows_html(rows)
