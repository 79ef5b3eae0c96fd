"""Plots of a molecule run: trajectory (QED and Vina per step) and QED-vs-Vina scatter."""

from __future__ import annotations

from pathlib import Path

from textgrad_sci.run import read_jsonl


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_trajectory(run_dir: Path, out: Path) -> Path:
    """QED (top) and Vina score (bottom) of each task's current molecule at every step."""
    plt = _pyplot()
    steps = read_jsonl(Path(run_dir) / "steps.jsonl")
    series: dict[str, dict[str, list]] = {}
    for record in steps:
        for point in record.get("evaluations", []):
            s = series.setdefault(point["task"], {"step": [], "qed": [], "vina": []})
            s["step"].append(point["step"])
            s["qed"].append(point.get("qed"))
            s["vina"].append(point.get("vina"))
    fig, (ax_q, ax_v) = plt.subplots(2, 1, figsize=(6, 5), sharex=True)
    for name, s in series.items():
        ax_q.plot(s["step"], [float("nan") if v is None else v for v in s["qed"]], "o-", label=name)
        ax_v.plot(s["step"], [float("nan") if v is None else v for v in s["vina"]], "o-")
    ax_q.set_ylabel("QED (higher is better)")
    ax_v.set_ylabel("Vina kcal/mol (lower is better)")
    ax_v.set_xlabel("step")
    if series:
        ax_q.legend(fontsize=7)
    fig.suptitle("Optimization trajectory")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def plot_scatter(summary: dict, points: list[dict], out: Path) -> Path:
    """QED vs Vina of every scored proposal, the start, final and reference molecules."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    scored = [p for p in points if p.get("qed") is not None and p.get("vina") is not None]
    if scored:
        ax.scatter([p["qed"] for p in scored], [p["vina"] for p in scored], s=12, c="0.75",
                   label="proposals")
    for row in summary.get("tasks", []):
        for kind, marker, color in (("start", "o", "tab:blue"), ("final", "*", "tab:red")):
            p = row.get(kind) or {}
            if p.get("qed") is not None and p.get("vina") is not None:
                ax.scatter([p["qed"]], [p["vina"]], marker=marker, s=90, c=color,
                           label=f"{kind} ({row['task']})")
        for ref in row.get("references", []):
            ax.scatter([ref["qed"]], [ref["vina"]], marker="^", s=50, c="tab:green")
            ax.annotate(ref["name"], (ref["qed"], ref["vina"]), fontsize=7)
    for front in summary.get("pareto", {}).values():
        if len(front) > 1:
            ax.plot([p["qed"] for p in front], [p["vina"] for p in front], "k--", lw=1)
    ax.set_xlabel("QED (higher is better)")
    ax.set_ylabel("Vina kcal/mol (lower is better)")
    ax.set_title("QED vs Vina: start, final, reference drugs (triangles)")
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def write_plots(run_dir: Path, summary: dict) -> list[Path]:
    """Both plots as PNG files under ``run_dir/plots/``."""
    plots = Path(run_dir) / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    points = []
    for record in read_jsonl(Path(run_dir) / "steps.jsonl"):
        points += record.get("evaluations", []) + record.get("proposals", [])
    return [
        plot_trajectory(Path(run_dir), plots / "trajectory.png"),
        plot_scatter(summary, points, plots / "qed_vs_vina.png"),
    ]
