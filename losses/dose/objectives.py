"""Plan objectives per structure, validated and compiled to voxel index lists."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .case import Case

KINDS = (
    "squared_underdose", "squared_overdose", "squared_deviation", "mean_dose", "max_dose",
    "eud", "dvh_max", "dvh_min",
)
KIND_CODES = {k: i for i, k in enumerate(KINDS)}


@dataclass
class Objective:
    """One weighted term of the fluence-map objective on one structure."""

    structure: str
    kind: str
    dose_gy: float
    weight: float
    volume_pct: float | None = None
    eud_a: float | None = None


@dataclass
class CompiledTerm:
    kind: str
    voxels: np.ndarray  # int64 flat voxel indices, unique and sorted
    dose_gy: float
    weight: float
    volume_pct: float = 0.0
    eud_a: float = 1.0


def _finite(name: str, value, ok) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or not ok(v):
        raise ValueError(f"{name} has an invalid value {value!r}")
    return v


def compile_objectives(case: Case, objectives: list[Objective]) -> list[CompiledTerm]:
    """Check objectives against the case (clear ValueErrors) and resolve voxel indices."""
    if not objectives:
        raise ValueError("at least one objective is needed")
    out = []
    for i, o in enumerate(objectives):
        where = f"objective {i} ({o.structure} {o.kind})"
        if o.kind not in KIND_CODES:
            raise ValueError(f"{where}: unknown kind {o.kind!r}; choose one of {', '.join(KINDS)}")
        if o.structure not in case.structures:
            raise ValueError(
                f"{where}: unknown structure {o.structure!r}; case has {sorted(case.structures)}"
            )
        voxels = np.flatnonzero(case.structures[o.structure]).astype(np.int64)
        if voxels.size == 0:
            raise ValueError(f"{where}: structure {o.structure!r} is empty")
        dose = _finite(f"{where}: dose_gy", o.dose_gy, lambda v: v >= 0)
        weight = _finite(f"{where}: weight", o.weight, lambda v: v >= 0)
        vol, a = 0.0, 1.0
        if o.kind.startswith("dvh_"):
            vol = _finite(f"{where}: volume_pct", o.volume_pct, lambda v: 0 < v <= 100)
        if o.kind == "eud":
            a = _finite(f"{where}: eud_a", o.eud_a, lambda v: v != 0)
        out.append(CompiledTerm(o.kind, voxels, dose, weight, vol, a))
    return out
