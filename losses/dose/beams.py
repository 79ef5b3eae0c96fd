"""Beam geometry and the pencil-beam physics parameters shared by the C++ and NumPy models."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .case import Case

SEVEN_BEAMS = (0.0, 51.4, 102.9, 154.3, 205.7, 257.1, 308.6)


@dataclass(frozen=True)
class BeamSetup:
    """Coplanar beams at gantry angles (IEC: 0 = anterior, 90 = patient left)."""

    gantry_angles_deg: tuple[float, ...] = SEVEN_BEAMS
    beamlet_width_mm: float = 5.0
    sad_mm: float = 1000.0
    lateral_cutoff_mm: float = 20.0
    target_margin_mm: float = 5.0  # beamlets are kept where the target (+margin) projects

    def __post_init__(self) -> None:
        if not self.gantry_angles_deg:
            raise ValueError("at least one gantry angle is needed")
        if not self.beamlet_width_mm > 0 or not self.sad_mm > 0:
            raise ValueError("beamlet_width_mm and sad_mm must be positive")
        if self.lateral_cutoff_mm < 0 or self.target_margin_mm < 0:
            raise ValueError("lateral_cutoff_mm and target_margin_mm must be >= 0")


@dataclass(frozen=True)
class PhysicsModel:
    """6 MV pencil-beam model: matRad's depth-dose terms, Gaussian penumbra, scatter tail."""

    mu_per_mm: float = 0.005066  # attenuation m of matRad's generic 6 MV fit
    beta_primary: float = 0.3252  # build-up of the primary term (d_max ~ 13 mm)
    beta_scatter: float = 0.016  # slow build-up of the scatter term
    sigma0_mm: float = 2.1  # ~5 mm FWHM penumbra at shallow depth
    sigma_growth: float = 0.02  # sigma grows as sqrt(sigma0^2 + (growth * depth)^2)
    scatter_fraction: float = 0.05
    scatter_sigma0_mm: float = 8.0
    scatter_growth: float = 0.05
    step_fraction: float = 0.5  # ray-march step as a fraction of the smallest voxel size
    min_entry: float = 1e-9  # matrix entries at or below this (Gy per unit fluence) are dropped

    def params(self, spacing_mm, beams: BeamSetup) -> np.ndarray:
        """The flat parameter vector the C++ kernel reads (order fixed here)."""
        return np.array(
            [
                self.mu_per_mm, self.beta_primary, _peak(self.mu_per_mm, self.beta_primary),
                self.beta_scatter, _peak(self.mu_per_mm, self.beta_scatter),
                self.sigma0_mm, self.sigma_growth, self.scatter_fraction,
                self.scatter_sigma0_mm, self.scatter_growth,
                self.step_fraction * min(spacing_mm), beams.beamlet_width_mm, beams.sad_mm,
                beams.lateral_cutoff_mm, self.min_entry,
            ],
            dtype=np.float64,
        )


def depth_term(z, mu: float, beta: float):
    """One term of matRad's fit: beta/(beta-mu) * (exp(-mu z) - exp(-beta z)), z in mm."""
    return beta / (beta - mu) * (np.exp(-mu * np.asarray(z)) - np.exp(-beta * np.asarray(z)))


def _peak(mu: float, beta: float) -> float:
    z = math.log(beta / mu) / (beta - mu)
    return float(depth_term(z, mu, beta))


def depth_dose(z, model: PhysicsModel = PhysicsModel()):
    """Central-axis depth dose (broad field, no inverse square), 1.0 at the primary peak."""
    p = depth_term(z, model.mu_per_mm, model.beta_primary) / _peak(
        model.mu_per_mm, model.beta_primary
    )
    s = depth_term(z, model.mu_per_mm, model.beta_scatter) / _peak(
        model.mu_per_mm, model.beta_scatter
    )
    return (1 - model.scatter_fraction) * p + model.scatter_fraction * s


DEFAULT_BEAMS = BeamSetup()
DEFAULT_MODEL = PhysicsModel()


@dataclass
class BeamGeometry:
    """Per-beam vectors and the beamlet grid map (C++ and NumPy read the same arrays)."""

    sources: np.ndarray  # (n_beams, 3) source positions (z, y, x) mm
    axes: np.ndarray  # (n_beams, 3, 3): rows d (source->iso), u1 (z), u2 (in-plane lateral)
    grid_origin: np.ndarray  # (n_beams, 2) int: smallest (ia, ib) of each beam's beamlet grid
    grid_shape: np.ndarray  # (n_beams, 2) int
    grid_offset: np.ndarray  # (n_beams,) int: start of each beam's map in grid_map
    grid_map: np.ndarray  # int32, column index of beamlet (ia, ib) or -1
    beamlet_beam: np.ndarray  # (n_beamlets,) int
    beamlet_ij: np.ndarray  # (n_beamlets, 2) int, beamlet centre = ij * width at isocentre

    @property
    def n_beamlets(self) -> int:
        return int(self.beamlet_beam.size)


def beam_axes(angle_deg: float) -> np.ndarray:
    th = math.radians(angle_deg)
    d = (0.0, math.cos(th), -math.sin(th))
    u1 = (1.0, 0.0, 0.0)
    u2 = (0.0, math.sin(th), math.cos(th))
    return np.array([d, u1, u2], dtype=np.float64)


def project(points: np.ndarray, source: np.ndarray, axes: np.ndarray, sad: float):
    """Distance t along the axis from the source, and (a, b) projected onto the iso plane."""
    r = points - source
    t = r @ axes[0]
    return t, (r @ axes[1]) * sad / t, (r @ axes[2]) * sad / t


def beam_geometry(case: Case, beams: BeamSetup) -> BeamGeometry:
    """Place the beams and pick each beam's beamlets from the target's projection."""
    iso = case.isocenter()
    spacing = np.asarray(case.spacing_mm)
    pts = np.argwhere(case.structures[case.target]) * spacing
    w, m = beams.beamlet_width_mm, beams.target_margin_mm
    sources, axes_all, origins, shapes, offsets, maps = [], [], [], [], [], []
    b_beam, b_ij, offset, col = [], [], 0, 0
    for k, angle in enumerate(beams.gantry_angles_deg):
        ax = beam_axes(float(angle))
        src = iso - beams.sad_mm * ax[0]
        _, a, b = project(pts, src, ax, beams.sad_mm)
        ia_lo = np.floor((a - m) / w + 0.5).astype(int)
        ia_hi = np.floor((a + m) / w + 0.5).astype(int)
        ib_lo = np.floor((b - m) / w + 0.5).astype(int)
        ib_hi = np.floor((b + m) / w + 0.5).astype(int)
        o = np.array([ia_lo.min(), ib_lo.min()])
        shp = np.array([ia_hi.max() - o[0] + 1, ib_hi.max() - o[1] + 1])
        hit = np.zeros(shp, dtype=bool)
        span = 2 * int(math.ceil(m / w)) + 1
        for da in range(span + 1):
            for db in range(span + 1):
                ia, ib = ia_lo + da, ib_lo + db
                ok = (ia <= ia_hi) & (ib <= ib_hi)
                hit[ia[ok] - o[0], ib[ok] - o[1]] = True
        gmap = np.full(shp, -1, dtype=np.int32)
        ij = np.argwhere(hit)
        gmap[ij[:, 0], ij[:, 1]] = np.arange(col, col + len(ij), dtype=np.int32)
        col += len(ij)
        b_beam.append(np.full(len(ij), k))
        b_ij.append(ij + o)
        sources.append(src)
        axes_all.append(ax)
        origins.append(o)
        shapes.append(shp)
        offsets.append(offset)
        maps.append(gmap.ravel())
        offset += gmap.size
    return BeamGeometry(
        sources=np.array(sources),
        axes=np.array(axes_all),
        grid_origin=np.array(origins, dtype=np.int64),
        grid_shape=np.array(shapes, dtype=np.int64),
        grid_offset=np.array(offsets, dtype=np.int64),
        grid_map=np.concatenate(maps).astype(np.int32),
        beamlet_beam=np.concatenate(b_beam).astype(np.int64),
        beamlet_ij=np.concatenate(b_ij).astype(np.int64),
    )
