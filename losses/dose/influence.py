"""The sparse dose-influence matrix (voxels x beamlets, CSR) and how it is computed."""

from __future__ import annotations

import os

import numpy as np
import scipy.sparse as sp

from .beams import (
    DEFAULT_BEAMS,
    DEFAULT_MODEL,
    BeamGeometry,
    BeamSetup,
    PhysicsModel,
    beam_geometry,
)
from .case import Case


def native_module():
    """textgrad_sci._native if it has the dose kernels, else None."""
    try:
        from textgrad_sci import _native
    except ImportError:
        return None
    return _native if hasattr(_native, "dose_influence") else None


def default_threads(threads: int | None = None) -> int:
    """Threads for the (long, dynamically scheduled) matrix build: all cores by default."""
    if threads is not None:
        if threads < 1:
            raise ValueError("threads must be >= 1")
        return int(threads)
    return max(1, min(os.cpu_count() or 1, 16))


def solver_threads(threads: int | None = None) -> int:
    """Threads for millisecond-scale products: only the cores the load average leaves free.

    A product waits for its slowest thread, so on a busy machine one thread is faster.
    """
    if threads is not None:
        return default_threads(threads)
    cores = default_threads()
    try:
        busy = os.getloadavg()[0]
    except OSError:
        return cores
    return max(1, min(cores, int(cores - busy + 1.5)))


class DoseInfluence:
    """CSR dose-influence matrix: row = C-order flat voxel index, column = beamlet; Gy/unit.

    `threads` (None = adapt to the machine's load) is used by `dose` and the FMO problem.
    """

    def __init__(self, indptr, indices, data, shape, geometry: BeamGeometry | None = None,
                 threads: int | None = None) -> None:
        self.indptr = np.ascontiguousarray(indptr, dtype=np.int64)
        self.indices = np.ascontiguousarray(indices, dtype=np.int32)
        self.data = np.ascontiguousarray(data, dtype=np.float32)
        self.shape = (int(shape[0]), int(shape[1]))
        self.geometry = geometry
        self.threads = None if threads is None else default_threads(threads)
        if self.indptr.size != self.shape[0] + 1 or self.indices.size != self.data.size:
            raise ValueError("inconsistent CSR arrays")

    @property
    def nnz(self) -> int:
        return int(self.data.size)

    def _check(self, fluence) -> np.ndarray:
        x = np.ascontiguousarray(fluence, dtype=np.float64).ravel()
        if x.size != self.shape[1]:
            raise ValueError(
                f"fluence has {x.size} values, the matrix has {self.shape[1]} beamlets"
            )
        return x

    def dose(self, fluence: np.ndarray) -> np.ndarray:
        """Flat dose (n_voxels,) in Gy for a fluence vector (n_beamlets,)."""
        x = self._check(fluence)
        nat = native_module()
        if nat is not None:
            return nat.csr_matvec(self.indptr, self.indices, self.data, x,
                                  solver_threads(self.threads))
        return self.to_scipy() @ x

    def to_scipy(self) -> sp.csr_matrix:
        return sp.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)

    @classmethod
    def from_scipy(cls, m, geometry: BeamGeometry | None = None) -> DoseInfluence:
        m = sp.csr_matrix(m)
        m.sort_indices()
        return cls(m.indptr, m.indices, m.data, m.shape, geometry)


def compute_dose_influence(
    case: Case,
    beams: BeamSetup = DEFAULT_BEAMS,
    threads: int | None = None,
    model: PhysicsModel = DEFAULT_MODEL,
    backend: str = "auto",
    geometry: BeamGeometry | None = None,
) -> DoseInfluence:
    """Build the dose-influence matrix with the C++ kernel ("native") or NumPy ("numpy").

    ``geometry`` (see ``beams.geometry_from_beamlets``) fixes the beamlets; by default they are
    picked from the target's projection.
    """
    if backend not in ("auto", "native", "numpy"):
        raise ValueError(f"backend must be 'auto', 'native' or 'numpy', got {backend!r}")
    nat = native_module()
    if backend == "native" and nat is None:
        raise RuntimeError("textgrad_sci._native has no dose kernels (rebuild the extension)")
    geo = geometry if geometry is not None else beam_geometry(case, beams)
    if backend == "numpy" or nat is None:
        from .reference import dose_influence_numpy

        m = dose_influence_numpy(case, beams, model, geometry=geo)
        return DoseInfluence.from_scipy(m, geo)
    nthreads = default_threads(threads)
    indptr, indices, data = nat.dose_influence(
        case.densities,
        np.asarray(case.spacing_mm, dtype=np.float64),
        case.structures["BODY"].ravel().astype(np.uint8),
        np.ascontiguousarray(geo.sources, dtype=np.float64),
        np.ascontiguousarray(geo.axes, dtype=np.float64),
        geo.grid_origin, geo.grid_shape, geo.grid_offset, geo.grid_map,
        model.tables(case, geo, beams),
        model.params(case.spacing_mm, beams),
        nthreads,
    )
    return DoseInfluence(indptr, indices, data, (case.n_voxels, geo.n_beamlets), geo, threads)
