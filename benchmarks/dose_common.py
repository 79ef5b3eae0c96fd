"""Shared setup of the dose benchmarks: the prostate plan objectives and timing helpers."""

from __future__ import annotations

import time

from textgrad_sci.losses.dose import Objective


def prostate_objectives() -> list[Objective]:
    """A typical prostate objective set (70 Gy to the PTV, sparing rectum/bladder/femurs)."""
    return [
        Objective("PTV", "squared_deviation", 70.0, 100.0),
        Objective("PTV", "dvh_min", 68.0, 20.0, volume_pct=95.0),
        Objective("RECTUM", "dvh_max", 50.0, 10.0, volume_pct=30.0),
        Objective("RECTUM", "eud", 35.0, 2.0, eud_a=8.0),
        Objective("BLADDER", "squared_overdose", 40.0, 5.0),
        Objective("FEMUR_L", "max_dose", 45.0, 1.0),
        Objective("FEMUR_R", "max_dose", 45.0, 1.0),
        Objective("BODY", "squared_overdose", 40.0, 1.0),
    ]


def best_of(fn, repeat: int = 3) -> float:
    """Smallest wall time of `repeat` calls (seconds)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best
