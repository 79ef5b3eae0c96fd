"""Dose-volume histogram and plan metrics (Dx, Vx, mean/max, conformity, homogeneity)."""

from __future__ import annotations

import numpy as np

from .case import Case
from .reference import dose_at_volume_flat


def _values(dose, mask) -> np.ndarray:
    dose = np.asarray(dose, dtype=np.float64).ravel()
    mask = np.asarray(mask, dtype=bool).ravel()
    if dose.shape != mask.shape:
        raise ValueError(f"dose has {dose.size} voxels, mask has {mask.size}")
    d = dose[mask]
    if d.size == 0:
        raise ValueError("the structure mask is empty")
    return d


def dose_at_volume(dose, mask, volume_pct: float) -> float:
    """Dx: the dose (Gy) that the hottest volume_pct % of the structure receives at least."""
    if not 0 < volume_pct <= 100:
        raise ValueError(f"volume_pct must be in (0, 100], got {volume_pct}")
    return dose_at_volume_flat(_values(dose, mask), volume_pct)


def volume_at_dose(dose, mask, dose_gy: float) -> float:
    """Vx: percentage of the structure receiving at least dose_gy."""
    return float(100.0 * np.mean(_values(dose, mask) >= dose_gy))


def dvh(dose, mask, bins: int | np.ndarray = 200) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative DVH: dose axis (Gy) and % of the structure receiving at least that dose."""
    d = np.sort(_values(dose, mask))
    if np.isscalar(bins):
        axis = np.linspace(0.0, max(float(d[-1]), 1e-9) * 1.02, int(bins))
    else:
        axis = np.asarray(bins, dtype=np.float64)
    below = np.searchsorted(d, axis, side="left")
    return axis, 100.0 * (d.size - below) / d.size


def structure_metrics(dose, mask) -> dict:
    """mean, max, min and D2, D50, D95, D98 of one structure (Gy)."""
    d = _values(dose, mask)
    out = {"mean": float(d.mean()), "max": float(d.max()), "min": float(d.min())}
    for v in (2, 50, 95, 98):
        out[f"D{v}"] = dose_at_volume_flat(d, v)
    return out


def conformity_index(dose, case: Case, ref_gy: float) -> float:
    """Paddick conformity index TV_ref^2 / (TV * V_ref): 1 is perfect, lower is worse."""
    dose = np.asarray(dose, dtype=np.float64).ravel()
    target = case.structures[case.target].ravel()
    body = case.structures["BODY"].ravel()
    covered = dose >= ref_gy
    tv, v_ref = int(target.sum()), int((covered & body).sum())
    if v_ref == 0:
        return 0.0
    tv_ref = int((covered & target).sum())
    return tv_ref * tv_ref / (tv * v_ref)


def homogeneity_index(dose, mask) -> float:
    """ICRU 83 homogeneity index (D2 - D98) / D50: 0 is perfectly homogeneous."""
    d = _values(dose, mask)
    d50 = dose_at_volume_flat(d, 50)
    if d50 <= 0:
        return float("inf")
    return (dose_at_volume_flat(d, 2) - dose_at_volume_flat(d, 98)) / d50
