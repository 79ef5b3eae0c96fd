"""The backward pass: topological order, each node's backward once after all its successors,
independent branches concurrently; plus a JSON snapshot of a graph for run logs and reports."""

from __future__ import annotations

import contextvars
import json
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from .concurrency import get_concurrency, submit
from .usage import usage_label

if TYPE_CHECKING:
    from .engines.base import Engine
    from .variable import Variable


def topological_order(root: Variable) -> list[Variable]:
    """Every variable ``root`` depends on, predecessors before successors (``root`` last)."""
    order: list[Variable] = []
    seen: set[int] = set()
    stack: list[tuple[Variable, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node.id in seen:
            continue
        seen.add(node.id)
        stack.append((node, True))
        stack.extend((p, False) for p in reversed(node.predecessors) if p.id not in seen)
    return order


_sampling: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "tgs_backward_sampling", default=None
)


def backward_sampling() -> dict[str, Any]:
    """Sampling settings (``max_tokens``, ``temperature``...) of this backward's feedback calls."""
    return _sampling.get() or {}


def backward(
    root: Variable,
    engine: Engine | str | None = None,
    concurrency: int | None = None,
    **sampling: Any,
):
    """Run each node's backward function once, after all of its successors have run.

    Nodes whose successors are all done run concurrently, up to ``concurrency`` at a time.
    ``sampling`` settings (e.g. ``max_tokens=200``) apply to every feedback call.
    """
    token = _sampling.set(sampling)
    try:
        _backward(root, engine, concurrency)
    finally:
        _sampling.reset(token)


def _backward(root: Variable, engine: Engine | str | None, concurrency: int | None) -> None:
    if engine is not None and not hasattr(engine, "complete"):
        from .engines.registry import get_engine

        engine = get_engine(engine)
    order = topological_order(root)
    rank = {n.name: i for i, n in enumerate(order)}
    pending = {n.id: 0 for n in order}
    for node in order:
        for pred in {p.id: p for p in node.predecessors}.values():
            pending[pred.id] += 1

    def run(node: Variable) -> Variable:
        node.sort_gradients(rank)
        if node.requires_grad and node.grad_fn is not None:
            with usage_label(node.name):
                node.grad_fn(engine)
        return node

    workers = concurrency or get_concurrency()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        in_flight = {submit(pool, run, root)}
        while in_flight:
            done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                node = future.result()
                for pred in {p.id: p for p in node.predecessors}.values():
                    pending[pred.id] -= 1
                    if pending[pred.id] == 0:
                        in_flight.add(submit(pool, run, pred))
    for node in order:  # leaves (the parameters) too: their feedback order is deterministic
        node.sort_gradients(rank)


def _json_safe(data: dict) -> dict:
    safe = {}
    for key, value in data.items():
        try:
            json.dumps(value)
            safe[key] = value
        except (TypeError, ValueError):
            safe[key] = repr(value)
    return safe


def graph_snapshot(*roots: Variable) -> dict:
    """Nodes (value, role, function, feedback with its source) and edges of ``roots``' graphs."""
    nodes, edges, seen = [], [], set()
    for root in roots:
        for node in topological_order(root):
            if node.id in seen:
                continue
            seen.add(node.id)
            nodes.append(
                {
                    "id": node.id,
                    "name": node.name,
                    "role": node.role_description,
                    "value": node.describe_value(),
                    "requires_grad": node.requires_grad,
                    "function": node.grad_fn_name,
                    "data": _json_safe(node.data),
                    "feedback": [
                        {"text": g.value, **node.gradients_context.get(g, {})}
                        for g in node.gradients
                    ],
                }
            )
            edges.extend({"source": p.id, "target": node.id} for p in node.predecessors)
    return {"nodes": nodes, "edges": edges}
