"""A small layered layout (left to right) of a step's computation graph, for inline SVG.

Variables come from ``graph_snapshot``; each variable made by a function gets a function node
between its inputs and itself. Feedback edges go from the node that wrote feedback to the node
that received it.
"""

from __future__ import annotations

from collections import defaultdict

VAR_W, VAR_H = 176, 46
FN_W, FN_H = 128, 28
GAP_X, GAP_Y, MARGIN = 64, 26, 20
LABEL_CHARS = 24
FEEDBACK_DROP = 17
"""Feedback edges run this far below the centre line of the nodes they join."""


def _short(text: str, n: int = LABEL_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _kind(node: dict, has_preds: bool, has_succs: bool, params: set[str]) -> str:
    if node.get("name") in params or (node.get("requires_grad") and not has_preds and has_succs):
        return "param"
    if not has_succs and has_preds:
        return "loss"
    if not node.get("requires_grad", True):
        return "const"
    return "inter"


def _layers(keys: list[str], preds: dict[str, list[str]]) -> dict[str, int]:
    """Longest path from a source; nodes on a cycle (never expected) go after the rest."""
    succs: dict[str, list[str]] = defaultdict(list)
    indegree = {k: 0 for k in keys}
    for k in keys:
        for p in preds[k]:
            succs[p].append(k)
            indegree[k] += 1
    layer = {k: 0 for k in keys}
    ready = [k for k in keys if indegree[k] == 0]
    done: set[str] = set()
    while ready:
        k = ready.pop()
        done.add(k)
        for s in succs[k]:
            layer[s] = max(layer[s], layer[k] + 1)
            indegree[s] -= 1
            if indegree[s] == 0:
                ready.append(s)
    top = max(layer.values(), default=0)
    for k in keys:
        if k not in done:
            layer[k] = top + 1
    return layer


def _order(columns: list[list[str]], preds: dict[str, list[str]], succs: dict) -> None:
    """Barycenter sweeps (down, then up) to reduce crossings; sorts ``columns`` in place."""
    for sweep in range(4):
        forward = sweep % 2 == 0
        rng = range(1, len(columns)) if forward else range(len(columns) - 2, -1, -1)
        for i in rng:
            ref = columns[i - 1] if forward else columns[i + 1]
            pos = {k: j for j, k in enumerate(ref)}
            links = preds if forward else succs

            def center(k: str, links=links, pos=pos) -> float:
                near = [pos[n] for n in links.get(k, []) if n in pos]
                return sum(near) / len(near) if near else float("inf")

            current = {k: j for j, k in enumerate(columns[i])}
            columns[i].sort(key=lambda k, c=center, cur=current: (c(k), cur[k]))


def layout_graph(graph: dict | None, params: set[str] | None = None) -> dict:
    """Positions of nodes and edges of a ``graph_snapshot`` dict; tolerant of partial data."""
    params = params or set()
    raw = [n for n in (graph or {}).get("nodes", []) if isinstance(n, dict) and "id" in n]
    variables = {str(n["id"]): n for n in raw}
    var_preds: dict[str, list[str]] = defaultdict(list)
    for e in (graph or {}).get("edges", []):
        src, dst = str(e.get("source")), str(e.get("target"))
        if src in variables and dst in variables and src not in var_preds[dst]:
            var_preds[dst].append(src)
    var_succs = {s for ps in var_preds.values() for s in ps}

    nodes: dict[str, dict] = {}
    preds: dict[str, list[str]] = defaultdict(list)
    for key, n in variables.items():
        kind = _kind(n, bool(var_preds[key]), key in var_succs, params)
        nodes[key] = {
            "key": key,
            "id": n["id"],
            "type": "variable",
            "kind": kind,
            "name": str(n.get("name", key)),
            "label": _short(n.get("name", key), 22),
            "sub": _short(n.get("role") or "", 26),
            "role": str(n.get("role") or ""),
            "n_feedback": len(n.get("feedback") or []),
            "w": VAR_W,
            "h": VAR_H,
        }
        if var_preds[key] and n.get("function"):
            fkey = f"fn-{key}"
            nodes[fkey] = {
                "key": fkey,
                "id": None,
                "type": "function",
                "kind": "function",
                "name": str(n["function"]),
                "label": _short(n["function"], 18),
                "sub": "",
                "role": f"{n['function']} → {n.get('name', key)}",
                "n_feedback": 0,
                "w": FN_W,
                "h": FN_H,
            }
            preds[fkey] = list(var_preds[key])
            preds[key] = [fkey]
        else:
            preds[key] = list(var_preds[key])

    keys = list(nodes)
    layer = _layers(keys, preds)
    succs: dict[str, list[str]] = defaultdict(list)
    for k in keys:
        for p in preds[k]:
            succs[p].append(k)
    columns: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for k in keys:
        columns[layer[k]].append(k)
    _order(columns, preds, succs)

    slot_h = VAR_H + GAP_Y
    tallest = max((len(c) for c in columns), default=0)
    height = MARGIN * 2 + max(tallest * slot_h - GAP_Y, 0)
    for i, column in enumerate(columns):
        top = MARGIN + (tallest - len(column)) * slot_h / 2
        for j, k in enumerate(column):
            node = nodes[k]
            node["x"] = MARGIN + i * (VAR_W + GAP_X) + (VAR_W - node["w"]) / 2
            node["y"] = top + j * slot_h + (VAR_H - node["h"]) / 2
            node["cx"] = node["x"] + node["w"] / 2
            node["cy"] = node["y"] + node["h"] / 2

    edges = []
    for k in keys:
        for p in preds[k]:
            a, b = nodes[p], nodes[k]
            x1, y1, x2, y2 = a["x"] + a["w"], a["cy"], b["x"], b["cy"]
            mid = (x1 + x2) / 2
            edges.append(
                {
                    "kind": "forward",
                    "from": p,
                    "to": k,
                    "path": f"M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} "
                    f"{x2:.1f},{y2:.1f}",
                }
            )

    by_name = {n["name"]: n for n in nodes.values() if n["type"] == "variable"}
    feedback_edges = 0
    for key, n in variables.items():
        sources = {str(f.get("source")) for f in n.get("feedback") or [] if isinstance(f, dict)}
        for source in sorted(sources):
            a, b = by_name.get(source), nodes[key]
            if a is None or a is b:
                continue
            if a["x"] > b["x"] + b["w"]:
                # feedback flows back along the forward edges, just below them
                x1, y1 = a["x"], a["cy"] + FEEDBACK_DROP
                x2, y2 = b["x"] + b["w"], b["cy"] + FEEDBACK_DROP
                mid = (x1 + x2) / 2
                path = (
                    f"M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
                )
            else:
                x1, y1 = a["cx"] - 14, a["y"] + a["h"]
                x2, y2 = b["cx"] + 14, b["y"] + b["h"]
                bottom = max(y1, y2) + 22 + 0.12 * abs(x1 - x2)
                height = max(height, bottom + MARGIN)
                path = (
                    f"M{x1:.1f},{y1:.1f} C{x1:.1f},{bottom:.1f} {x2:.1f},{bottom:.1f} "
                    f"{x2:.1f},{y2:.1f}"
                )
            edges.append(
                {
                    "kind": "feedback",
                    "from": a["key"],
                    "to": key,
                    "path": path,
                }
            )
            feedback_edges += 1

    width = MARGIN * 2 + max(len(columns) * (VAR_W + GAP_X) - GAP_X, 0)
    ordered = [nodes[k] for column in columns for k in column]
    return {
        "nodes": ordered,
        "edges": edges,
        "width": round(width),
        "height": round(height),
        "n_variables": len(variables),
        "n_functions": sum(1 for n in ordered if n["type"] == "function"),
        "n_feedback_edges": feedback_edges,
    }
