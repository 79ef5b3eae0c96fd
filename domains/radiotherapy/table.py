"""The goals-per-iteration table, as plain aligned text."""

from __future__ import annotations

from collections.abc import Sequence


def goals_table(rows: Sequence[dict]) -> str:
    """One line per iteration: goals met, score, each goal's value (``!`` marks a missed goal)."""
    if not rows:
        return "(no iterations)"
    labels = list(rows[0].get("metrics", {}))
    header = ["iter", "met", "score"] + labels
    lines = []
    for i, row in enumerate(rows):
        if row.get("error"):
            cells = [str(i), "-", f"{row['score']:.3f}"] + ["error"] * len(labels)
        else:
            cells = [str(i), f"{row['goals_met']}/{row['goals_total']}", f"{row['score']:.3f}"]
            cells += [
                f"{row['metrics'][k]:.1f}" + ("" if row["met"][k] else "!") for k in labels
            ]
        lines.append(cells)
    widths = [max(len(h), *(len(c[j]) for c in lines)) for j, h in enumerate(header)]
    fmt = "  ".join(f"{{:>{w}}}" for w in widths)
    out = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*c) for c in lines]
    return "\n".join(out)
