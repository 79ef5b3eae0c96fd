"""Plots of a radiotherapy bench: best score against FMOs spent per strategy (mean over seeds
with a 95% bootstrap band), and the DVHs of each strategy's best plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from textgrad_sci.stats import bootstrap_ci

from .plots import _pyplot, _save

STYLES = ("-", "--", ":", "-.")


def plot_score_vs_budget(rows: list[dict], strategies: list[str], path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for strategy in strategies:
        curves = [r["curve"] for r in rows if r["strategy"] == strategy]
        if not curves:
            continue
        budget = np.arange(1, len(curves[0]) + 1)
        stats = [bootstrap_ci([c[b] for c in curves], resamples=2000) for b in range(len(budget))]
        mean, low, high = (np.array(v) for v in zip(*stats, strict=True))
        line, = ax.plot(budget, mean, label=f"{strategy} ({len(curves)} runs)")
        ax.fill_between(budget, low, high, color=line.get_color(), alpha=0.2)
    ax.set_xlabel("fluence optimizations spent")
    ax.set_ylabel("best plan score so far (lower is better)")
    ax.set_title("score against budget (mean, 95% bootstrap band)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_best_dvhs(case, doses: dict[str, np.ndarray], path: Path) -> Path:
    from textgrad_sci.losses.dose import dvh

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    colors = plt.get_cmap("tab10")
    names = [n for n in case.structures if n != "BODY"]
    for s, (strategy, dose) in enumerate(doses.items()):
        for k, name in enumerate(names):
            x, y = dvh(dose, case.structures[name])
            ax.plot(x, y, STYLES[s % len(STYLES)], color=colors(k % 10),
                    label=f"{name} ({strategy})")
    ax.axvline(case.prescription_gy, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("dose (Gy)")
    ax.set_ylabel("volume (%)")
    ax.set_title(f"DVH of each strategy's best plan, case {case.name}")
    ax.legend(fontsize=6, ncol=2)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def write_bench_plots(bench, rows: list[dict], plots_dir: Path) -> list[Path]:
    """Both plots; the best plans are optimized again (outside the budget) for their dose."""
    strategies = bench.config.strategy_list
    paths = [plot_score_vs_budget(rows, strategies, Path(plots_dir) / "score_vs_budget.png")]
    loss = bench.loss()
    doses = {}
    for strategy in strategies:
        own = [r for r in rows if r["strategy"] == strategy]
        if own:
            best = min(own, key=lambda r: r["score"])
            evaluation = loss.evaluate(best["best_plan"]).detail
            if evaluation.dose is not None:
                doses[strategy] = evaluation.dose
    if doses:
        paths.append(plot_best_dvhs(bench.case, doses, Path(plots_dir) / "best_dvhs.png"))
    return paths
