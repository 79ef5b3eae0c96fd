"""The Pareto front of QED (higher is better) against Vina score (lower is better)."""

from __future__ import annotations


def dominates(a: dict, b: dict) -> bool:
    """``a`` is at least as good as ``b`` in QED and Vina, and better in one."""
    return (
        a["qed"] >= b["qed"] and a["vina"] <= b["vina"]
        and (a["qed"] > b["qed"] or a["vina"] < b["vina"])
    )


def pareto_front(points: list[dict]) -> list[dict]:
    """The non-dominated points (dicts with "qed" and "vina"), one per molecule, by QED."""
    scored = [p for p in points if p.get("qed") is not None and p.get("vina") is not None]
    unique: dict[str, dict] = {}
    for p in scored:
        unique.setdefault(p.get("canonical") or p.get("smiles") or str(len(unique)), p)
    candidates = list(unique.values())
    front = [p for p in candidates if not any(dominates(q, p) for q in candidates)]
    return sorted(front, key=lambda p: p["qed"])
