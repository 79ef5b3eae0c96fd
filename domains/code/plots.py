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


def plot_bench(rates: dict[str, list[float]], path: Path, problems: int = 0) -> Path:
    """Completion rate (share of problems passing all hidden tests) against iteration, one line
    per method (``rates``: :func:`.bench.completion_rates`)."""
    plt = _pyplot()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 3))
    for method, values in rates.items():
        style = {"ls": "--"} if method == "zero-shot" else {}
        ax.plot(range(len(values)), values, marker="o", label=method, **style)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("iteration (updates)")
    ax.set_ylabel("completion rate (hidden tests)")
    ax.set_title(f"{problems} problems")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
