"""Plots of a bench: best-so-far objective against oracle calls per strategy (mean with a 95%
bootstrap band over runs), and QED vs Vina of each strategy's final molecules beside approved
drugs for the objective's first target (docked with the same settings, outside the budget)."""

from __future__ import annotations

from pathlib import Path

from .plots import _pyplot


def _padded(curve: list[float], length: int) -> list[float]:
    if not curve:
        return [float("nan")] * length
    return (curve + [curve[-1]] * length)[:length]


def plot_curves(rows: list[dict], strategies: list[str], budget: int, out: Path) -> Path:
    import numpy as np

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    calls = np.arange(1, budget + 1)
    rng = np.random.default_rng(0)
    for strategy in strategies:
        curves = np.array([_padded(r["curve"], budget) for r in rows
                           if r["strategy"] == strategy])
        if curves.size == 0:
            continue
        mean = np.nanmean(curves, axis=0)
        picks = rng.integers(0, len(curves), size=(2000, len(curves)))
        boot = np.nanmean(curves[picks], axis=1)
        low, high = np.nanquantile(boot, [0.025, 0.975], axis=0)
        ax.plot(calls, mean, label=f"{strategy} ({len(curves)} runs)")
        ax.fill_between(calls, low, high, alpha=0.2)
    ax.set_xlabel("oracle calls (molecules scored by the objective)")
    ax.set_ylabel("best objective so far (lower is better)")
    ax.set_title("Best-so-far at equal budget, mean and 95% bootstrap band")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def reference_points(target: str, service) -> list[dict]:
    """Approved drugs of ``target``: name, QED and Vina with the service's settings."""
    from textgrad_sci.losses.chem.properties import qed
    from textgrad_sci.losses.chem.references import reference_drugs
    from textgrad_sci.losses.chem.smiles import check_molecule

    drugs = reference_drugs(target)
    results = service.dock_many([(d.smiles, target) for d in drugs]) if drugs else []
    return [{"name": d.name, "qed": qed(check_molecule(d.smiles).mol), "vina": r.score}
            for d, r in zip(drugs, results, strict=True) if r.ok]


def plot_finals(rows: list[dict], strategies: list[str], target: str, refs: list[dict],
                out: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    markers = "osD^vP*X"
    for i, strategy in enumerate(strategies):
        pts = [r["final"] for r in rows if r["strategy"] == strategy and r.get("final")
               and r["final"]["qed"] is not None and r["final"]["vina"].get(target) is not None]
        ax.scatter([p["qed"] for p in pts], [p["vina"][target] for p in pts],
                   marker=markers[i % len(markers)], s=40, label=strategy)
    if refs:
        ax.scatter([r["qed"] for r in refs], [r["vina"] for r in refs], marker="^", s=70,
                   c="k", label="approved drugs")
        for r in refs:
            ax.annotate(r["name"], (r["qed"], r["vina"]), fontsize=7)
    ax.set_xlabel("QED (higher is better)")
    ax.set_ylabel(f"Vina {target} kcal/mol (lower is better)")
    ax.set_title("Final (best) molecule of each run beside approved drugs")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def write_bench_plots(run_dir: Path, config, rows: list[dict], service) -> list[Path]:
    """Both plots under ``run_dir/plots/``; the reference drugs also go to references.json."""
    import json

    from textgrad_sci.losses.chem.objectives import get_objective

    plots = run_dir / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    target = get_objective(config.objective).targets[0]
    refs = reference_points(target, service) if service is not None else []
    (run_dir / "references.json").write_text(json.dumps({target: refs}, indent=2))
    return [plot_curves(rows, config.strategy_list, config.budget, plots / "best_so_far.png"),
            plot_finals(rows, config.strategy_list, target, refs, plots / "qed_vs_vina.png")]
