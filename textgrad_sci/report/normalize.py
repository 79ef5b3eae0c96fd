"""Coerce a step line of any vintage or damage into the shapes the report expects, so that an odd
record shows as odd text on the page instead of stopping the report."""

from __future__ import annotations

import json
from typing import Any


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, default=str)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    if isinstance(value, list):
        return value
    return [] if value is None or value == {} else [value]


def _feedback(item: Any) -> dict:
    item = item if isinstance(item, dict) else {"text": item}
    return {**item, "text": _text(item.get("text")), "source": _text(item.get("source"))}


def _node(node: Any, index: int) -> dict | None:
    if not isinstance(node, dict) or node.get("id") is None:
        return None
    node_id = node["id"] if isinstance(node["id"], int | str) else _text(node["id"])
    return {
        **node,
        "id": node_id,
        "name": _text(node.get("name")) or f"node {node_id}",
        "role": _text(node.get("role")),
        "value": node.get("value")
        if isinstance(node.get("value"), str)
        else _text(node.get("value")),
        "requires_grad": bool(node.get("requires_grad", True)),
        "function": _text(node.get("function")) or None,
        "data": _dict(node.get("data")),
        "feedback": [_feedback(f) for f in _list(node.get("feedback"))],
    }


def _graph(graph: Any) -> dict:
    graph = _dict(graph)
    nodes = [n for i, x in enumerate(_list(graph.get("nodes"))) if (n := _node(x, i)) is not None]
    ids = {str(n["id"]): n["id"] for n in nodes}
    edges = []
    for e in _list(graph.get("edges")):
        if isinstance(e, dict) and _text(e.get("source")) in ids and _text(e.get("target")) in ids:
            edges.append({"source": ids[_text(e["source"])], "target": ids[_text(e["target"])]})
    return {"nodes": nodes, "edges": edges}


def _update(update: Any) -> dict:
    u = update if isinstance(update, dict) else {"variable": "?", "reason": _text(update)}
    attempts = u.get("attempts")
    return {
        **u,
        "variable": _text(u.get("variable")) or "?",
        "attempts": attempts if isinstance(attempts, int) and not isinstance(attempts, bool) else 0,
        "errors": [_text(e) for e in _list(u.get("errors"))],
        "reason": _text(u.get("reason")),
        "accepted": bool(u.get("accepted")),
    }


def normalize_step(record: Any, index: int) -> dict:
    """A step record with every field the report reads in its expected type."""
    s = record if isinstance(record, dict) else {"record": record}
    step = s.get("step")
    usage = _dict(s.get("usage"))
    return {
        **s,
        "step": step if isinstance(step, int) and not isinstance(step, bool) else index,
        "time": _text(s.get("time")),
        "parameters": {_text(k): _text(v) for k, v in _dict(s.get("parameters")).items()},
        "losses": _dict(s.get("losses")),
        "graph": _graph(s.get("graph")),
        "updates": [_update(u) for u in _list(s.get("updates"))],
        "usage": {
            "total": _dict(usage.get("total")),
            "by_node": {_text(k): _dict(v) for k, v in _dict(usage.get("by_node")).items()},
        },
        "timings": _dict(s.get("timings")),
    }
