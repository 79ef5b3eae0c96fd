"""Plots of a tuning run (PNG, matplotlib Agg): DVHs initial vs final, a dose slice with
structure contours, and goal margins per iteration."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_dvh(case, initial_dose, final_dose, path: Path) -> Path:
    """Cumulative DVH of every structure: initial plan dashed, final plan solid."""
    from textgrad_sci.losses.dose import dvh

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    colors = plt.get_cmap("tab10")
    names = [n for n in case.structures if n != "BODY"]
    for k, name in enumerate(names):
        mask = case.structures[name]
        for dose, style, tag in ((initial_dose, "--", "initial"), (final_dose, "-", "final")):
            if dose is None or not mask.any():
                continue
            x, y = dvh(dose, mask)
            ax.plot(x, y, style, color=colors(k % 10), label=f"{name} ({tag})")
    ax.axvline(case.prescription_gy, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("dose (Gy)")
    ax.set_ylabel("volume (%)")
    ax.set_title(f"DVH, case {case.name}: initial (dashed) vs final (solid)")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_dose_slice(case, dose, path: Path, title: str = "final plan") -> Path:
    """Axial dose slice through the target centroid with structure contours."""
    plt = _pyplot()
    target = case.structures[case.target]
    k = int(round(np.argwhere(target)[:, 0].mean()))
    fig, ax = plt.subplots(figsize=(6, 5))
    dz, dy, dx = case.spacing_mm
    ny, nx = dose.shape[1:]
    extent = (0, nx * dx, ny * dy, 0)
    ax.imshow(case.densities[k], cmap="gray", extent=extent)
    im = ax.imshow(np.ma.masked_less(dose[k], 0.05 * case.prescription_gy), cmap="jet",
                   alpha=0.5, extent=extent, vmin=0, vmax=1.1 * case.prescription_gy)
    fig.colorbar(im, ax=ax, label="dose (Gy)")
    colors = plt.get_cmap("tab10")
    for i, (name, mask) in enumerate(case.structures.items()):
        if mask[k].any() and mask[k].sum() < mask[k].size:
            ax.contour(np.arange(nx) * dx + dx / 2, np.arange(ny) * dy + dy / 2,
                       mask[k].astype(float), levels=[0.5], colors=[colors(i % 10)],
                       linewidths=1.2)
            ys, xs = np.argwhere(mask[k]).mean(axis=0)
            ax.text(xs * dx, ys * dy, name, color=colors(i % 10), fontsize=7)
    ax.set_title(f"{title}: slice {k} (z = {k * dz:.0f} mm)")
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    return _save(fig, path)


def plot_margins(rows: Sequence[dict], path: Path) -> Path:
    """Each goal's margin per iteration (positive = met), relative to the goal value."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    labels = list(rows[0]["margins"]) if rows else []
    its = np.arange(len(rows))
    for label in labels:
        values = [r["margins"].get(label, np.nan) for r in rows]
        ax.plot(its, values, marker="o", label=label)
    ax.axhline(0, color="black", lw=0.8)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("iteration")
    ax.set_ylabel("goal margin (Gy or %; > 0 met)")
    ax.set_title("clinical goal margins per iteration")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def write_plots(case, result, plots_dir: Path) -> list[Path]:
    """All three plots of a tuning result under ``plots_dir``."""
    plots_dir = Path(plots_dir)
    paths = [plot_margins(result.rows, plots_dir / "goal_margins.png")]
    final = result.final
    if final is not None and final.dose is not None:
        initial_dose = result.initial.dose if result.initial is not None else None
        paths.append(plot_dvh(case, initial_dose, final.dose, plots_dir / "dvh.png"))
        paths.append(plot_dose_slice(case, final.dose, plots_dir / "dose_slice.png"))
    return paths
