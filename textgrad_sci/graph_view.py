"""`Variable.generate_graph()`: a picture of a computation graph, as TextGrad draws it with
graphviz when that package is installed, else the SVG layout the run report draws."""

from __future__ import annotations

import importlib.util
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .graph import graph_snapshot

if TYPE_CHECKING:
    from .variable import Variable


class GraphSVG:
    """An SVG drawing of a graph; Jupyter shows it inline (``_repr_svg_``)."""

    def __init__(self, svg: str, snapshot: dict) -> None:
        self.svg = svg
        self.snapshot = snapshot

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.svg, encoding="utf-8")
        return path

    def __str__(self) -> str:
        return self.svg


def _graphviz(snapshot: dict, print_gradients: bool) -> Any:
    import graphviz

    dot = graphviz.Digraph(comment="textgrad-sci computation graph")
    dot.attr(rankdir="TB")
    for node in snapshot["nodes"]:
        label = f"Role: {node['role']}\nValue: {node['value'][:200]}"
        if print_gradients and node["feedback"]:
            label += "\nFeedback: " + "\n".join(f["text"][:200] for f in node["feedback"])
        dot.node(str(node["id"]), label, shape="box")
    for edge in snapshot["edges"]:
        dot.edge(str(edge["source"]), str(edge["target"]))
    return dot


def _svg(snapshot: dict) -> str:
    from .report.layout import layout_graph

    layout = layout_graph(snapshot)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {layout["width"]} '
        f'{layout["height"]}" width="{layout["width"]}" height="{layout["height"]}" '
        'font-family="sans-serif" font-size="12">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>'
        "</defs>",
    ]
    for edge in layout["edges"]:
        if edge["kind"] == "forward":
            parts.append(
                f'<path d="{edge["path"]}" fill="none" stroke="#555" marker-end="url(#arrow)"/>'
            )
    for node in layout["nodes"]:
        radius = 7 if node["type"] == "variable" else 14
        fill = "#eef3fb" if node["type"] == "variable" else "#f4f4f4"
        parts.append(
            f'<g transform="translate({node["x"]:.1f},{node["y"]:.1f})">'
            f"<title>{escape(node['name'])}: {escape(node['role'])}</title>"
            f'<rect width="{node["w"]}" height="{node["h"]}" rx="{radius}" fill="{fill}" '
            'stroke="#345"/>'
            f'<text x="10" y="19">{escape(node["label"])}</text>'
            f'<text x="10" y="36" fill="#555">{escape(node["sub"])}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def has_graphviz() -> bool:
    return importlib.util.find_spec("graphviz") is not None


def generate_graph(root: Variable, print_gradients: bool = False) -> Any:
    """``graphviz.Digraph`` of ``root``'s graph when graphviz is installed, else a
    :class:`GraphSVG`."""
    snapshot = graph_snapshot(root)
    if has_graphviz():
        return _graphviz(snapshot, print_gradients)
    return GraphSVG(_svg(snapshot), snapshot)
