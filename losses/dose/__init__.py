"""Dose-volume simulator: phantoms, pencil-beam dose-influence matrix, FMO and DVH metrics.

Model: radiological depth by ray marching through the densities, matRad's 6 MV depth-dose
terms (primary build-up + slow scatter term), Gaussian penumbra widening with depth, inverse
square, square beamlets blurred by the penumbra, lateral cut-off. The heavy kernels live in C++
(textgrad_sci._native); `reference` holds a pure NumPy/SciPy implementation of the same model
for tests and benchmarks.
"""

from .beams import BeamSetup, PhysicsModel, beam_geometry, depth_dose
from .case import Case, prostate_case, tg119_cshape_case
from .fmo import FmoResult, Problem, initial_fluence, optimize_fluence
from .influence import DoseInfluence, compute_dose_influence, native_module
from .metrics import (
    conformity_index,
    dose_at_volume,
    dvh,
    homogeneity_index,
    structure_metrics,
    volume_at_dose,
)
from .objectives import KINDS, Objective, compile_objectives

__all__ = [
    "KINDS", "BeamSetup", "Case", "DoseInfluence", "FmoResult", "Objective", "PhysicsModel",
    "Problem", "beam_geometry", "compile_objectives", "compute_dose_influence",
    "conformity_index", "depth_dose", "dose_at_volume", "dvh", "homogeneity_index",
    "initial_fluence", "native_module", "optimize_fluence", "prostate_case",
    "structure_metrics", "tg119_cshape_case", "volume_at_dose",
]
