"""PNG plots of code runs (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_refinement(history: list[dict], path: Path) -> Path:
    """Visible tests passed per step."""
    plt = _pyplot()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 3))
    steps = [h.get("step", i) for i, h in enumerate(history)]
    ax.plot(steps, [h.get("visible_passed", 0) for h in history], marker="o", label="passed")
    if history:
        ax.axhline(history[0].get("visible_total", 0), color="grey", ls="--", label="total")
    ax.set_xlabel("step")
    ax.set_ylabel("visible tests passed")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_bench(rows: list[dict], path: Path) -> Path:
    """Pass rates before and after refinement, on visible and hidden tests."""
    from .bench import summarize

    plt = _pyplot()
    path.parent.mkdir(parents=True, exist_ok=True)
    s = summarize(rows)
    fig, ax = plt.subplots(figsize=(5, 3))
    labels = ["visible", "hidden"]
    ax.bar([0, 2], [s.visible_before, s.hidden_before], label="before")
    ax.bar([1, 3], [s.visible_after, s.hidden_after], label="after")
    ax.set_xticks([0.5, 2.5], labels)
    ax.set_ylim(0, 1)
    ax.set_ylabel("pass rate")
    ax.set_title(f"{s.problems} problems")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
