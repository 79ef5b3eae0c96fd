"""Gamma index (Low et al. 1998): dose difference and distance to agreement in one number."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GammaResult:
    """Per-voxel gamma (NaN outside the evaluated mask) and the pass rate (%) of gamma <= 1."""

    gamma: np.ndarray
    pass_rate_pct: float
    n_evaluated: int


def _offsets(spacing, dta_mm: float, step_mm: float, radius_mm: float) -> np.ndarray:
    """Search offsets (z, y, x) in voxel units on a lattice of step_mm, sorted by distance."""
    k = int(np.floor(radius_mm / step_mm + 1e-9))
    axis = np.arange(-k, k + 1) * step_mm
    grid = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1).reshape(-1, 3)
    dist = np.sqrt((grid**2).sum(axis=1))
    keep = dist <= radius_mm + 1e-9
    grid, dist = grid[keep], dist[keep]
    order = np.argsort(dist, kind="stable")
    return grid[order] / np.asarray(spacing, dtype=np.float64), dist[order]


def gamma_index(
    reference,
    evaluated,
    spacing_mm,
    *,
    dose_pct: float = 3.0,
    dta_mm: float = 3.0,
    mask=None,
    normalization_gy: float | None = None,
    threshold_pct: float = 0.0,
    max_gamma: float = 2.0,
    steps_per_dta: int = 5,
) -> GammaResult:
    """Global gamma of ``evaluated`` against ``reference`` (same grid, (nz, ny, nx) doses).

    The dose criterion is ``dose_pct`` % of ``normalization_gy`` (default: the reference maximum
    inside ``mask``). The evaluated dose is interpolated trilinearly on a search lattice of
    ``dta_mm / steps_per_dta`` out to ``max_gamma * dta_mm``; gamma is capped at ``max_gamma``.
    Voxels in ``mask`` (default: all) whose reference dose is below ``threshold_pct`` % of the
    normalization are left out.
    """
    from scipy.ndimage import map_coordinates

    ref = np.asarray(reference, dtype=np.float64)
    ev = np.asarray(evaluated, dtype=np.float64)
    if ref.shape != ev.shape or ref.ndim != 3:
        raise ValueError(f"doses must be 3-D arrays of one shape, got {ref.shape} and {ev.shape}")
    spacing = np.asarray(spacing_mm, dtype=np.float64)
    if spacing.shape != (3,) or spacing.min() <= 0:
        raise ValueError("spacing_mm must be three positive numbers")
    if not (dose_pct > 0 and dta_mm > 0 and max_gamma > 0 and steps_per_dta >= 1):
        raise ValueError("dose_pct, dta_mm, max_gamma and steps_per_dta must be positive")
    sel = np.ones(ref.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if sel.shape != ref.shape:
        raise ValueError(f"mask has shape {sel.shape}, doses have {ref.shape}")
    norm = float(ref[sel].max()) if normalization_gy is None else float(normalization_gy)
    if not norm > 0:
        raise ValueError("the normalization dose must be positive")
    sel = sel & (ref >= threshold_pct / 100.0 * norm)
    idx = np.argwhere(sel).astype(np.float64)
    dref = ref[sel]
    dd = dose_pct / 100.0 * norm
    gamma = np.full(dref.size, float(max_gamma))
    offsets, dist = _offsets(spacing, dta_mm, dta_mm / steps_per_dta, max_gamma * dta_mm)
    active = np.arange(dref.size)
    start = 0
    while start < len(dist) and active.size:
        active = active[gamma[active] > dist[start] / dta_mm]
        if active.size == 0:
            break
        stop = min(len(dist), start + max(1, 2_000_000 // active.size))
        off = offsets[start:stop]
        pts = (idx[active][:, None, :] + off[None, :, :]).reshape(-1, 3).T
        dev = map_coordinates(ev, pts, order=1, mode="nearest").reshape(active.size, -1)
        g = np.sqrt((dist[start:stop] / dta_mm) ** 2 + ((dev - dref[active, None]) / dd) ** 2)
        gamma[active] = np.minimum(gamma[active], g.min(axis=1))
        start = stop
    full = np.full(ref.shape, np.nan)
    full[sel] = gamma
    rate = float(100.0 * np.mean(gamma <= 1.0)) if gamma.size else float("nan")
    return GammaResult(full, rate, int(gamma.size))
