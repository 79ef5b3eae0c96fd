"""Beam geometry and the pencil-beam physics parameters shared by the C++ and NumPy models."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .case import Case
from .machine import Machine, lateral_tables, load_machine

SEVEN_BEAMS = (0.0, 51.4, 102.9, 154.3, 205.7, 257.1, 308.6)


@dataclass(frozen=True)
class BeamSetup:
    """Coplanar beams at gantry angles (IEC: 0 = anterior, 90 = patient left)."""

    gantry_angles_deg: tuple[float, ...] = SEVEN_BEAMS
    beamlet_width_mm: float = 5.0
    sad_mm: float = 1000.0
    lateral_cutoff_mm: float = 50.0  # radial, at the iso plane (matRad's geometric cut-off)
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
    """matRad's 6 MV SVD pencil beam (machine table in ``machine.py``), ray-traced depths."""

    penumbra_fwhm_mm: float | None = None  # None: the machine's (5 mm at the iso plane)
    table_step_mm: float = 0.5  # lattice of the lateral tables (matRad's convolution step)
    ssd_density: float = 0.05  # the skin is where the central axis first meets this density
    step_fraction: float = 0.5  # ray-march step as a fraction of the smallest voxel size
    min_entry: float = 1e-9  # matrix entries at or below this (Gy per unit fluence) are dropped
    tail_radius_mm: float = 20.0  # beyond this radius (iso plane) entries may be sampled
    tail_keep: float = 1.0  # fraction of tail entries kept (each scaled by 1/keep); 1 = all

    def __post_init__(self) -> None:
        if not 0.0 < self.tail_keep <= 1.0:
            raise ValueError(f"tail_keep must be in (0, 1], got {self.tail_keep}")
        if self.table_step_mm <= 0 or self.tail_radius_mm < 0:
            raise ValueError("table_step_mm must be > 0 and tail_radius_mm >= 0")

    def machine(self) -> Machine:
        """The photon machine (matRad's generic 6 MV, shipped in ``data/``)."""
        return load_machine()

    def params(self, spacing_mm, beams: BeamSetup) -> np.ndarray:
        """The flat parameter vector the C++ kernel reads (order fixed here)."""
        mc = self.machine()
        return np.array(
            [
                mc.m, *mc.betas, self.step_fraction * min(spacing_mm), beams.beamlet_width_mm,
                beams.sad_mm, beams.lateral_cutoff_mm, self.min_entry, self.table_step_mm,
                self.tail_radius_mm, self.tail_keep,
            ],
            dtype=np.float64,
        )

    def tables(self, case: Case, geo: BeamGeometry, beams: BeamSetup) -> np.ndarray:
        """(n_beams, n, n, 3) lateral tables, each at its beam's central-axis SSD."""
        return np.ascontiguousarray(np.stack([
            _cached_table(round(float(ssd), 1), beams.beamlet_width_mm, beams.lateral_cutoff_mm,
                          self.table_step_mm, self.penumbra_fwhm_mm, lateral_tables)
            for ssd in beam_ssds(case, geo, self.ssd_density)
        ]))


_TABLES: dict[tuple, np.ndarray] = {}


def _cached_table(ssd, width, cutoff, step, fwhm, build) -> np.ndarray:
    key = (ssd, width, cutoff, step, fwhm)
    if key not in _TABLES:
        if len(_TABLES) > 64:
            _TABLES.clear()
        _TABLES[key] = build(load_machine(), ssd, width, cutoff, step, fwhm)
    return _TABLES[key]


def depth_term(z, mu: float, beta: float):
    """One term of matRad's fit: beta/(beta-mu) * (exp(-mu z) - exp(-beta z)), z in mm."""
    return beta / (beta - mu) * (np.exp(-mu * np.asarray(z)) - np.exp(-beta * np.asarray(z)))


def depth_dose(z, model: PhysicsModel | None = None, ssd_mm: float = 1000.0,
               beams: BeamSetup | None = None):
    """Central-axis depth dose of a broad field (no inverse square), 1.0 at its maximum.

    The field is every beamlet whose centre lies within the lateral cut-off of the axis, so each
    term is weighted by the sum of its lateral table over those beamlets, as the engine sums it.
    """
    model = model or PhysicsModel()
    beams = beams or BeamSetup()
    mc = model.machine()
    w, cut = beams.beamlet_width_mm, beams.lateral_cutoff_mm
    table = _cached_table(round(float(ssd_mm), 1), w, cut, model.table_step_mm,
                          model.penumbra_fwhm_mm, lateral_tables)
    k = np.arange(-int(cut // w), int(cut // w) + 1) * w
    a, b = np.meshgrid(k, k)
    ok = a * a + b * b <= cut * cut
    ia = np.rint(np.abs(a[ok]) / model.table_step_mm).astype(np.int64)
    ib = np.rint(np.abs(b[ok]) / model.table_step_mm).astype(np.int64)
    weights = table[ia, ib].sum(axis=0)

    def dd(zz):
        return sum(wc * depth_term(zz, mc.m, bc) for wc, bc in zip(weights, mc.betas, strict=True))

    return dd(np.asarray(z, dtype=np.float64)) / dd(np.linspace(0.0, 100.0, 2001)).max()


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
    per_beam = []
    for angle in beams.gantry_angles_deg:
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
        per_beam.append(np.argwhere(hit) + o)
    return geometry_from_beamlets(case, beams, per_beam)


def geometry_from_beamlets(case: Case, beams: BeamSetup, beamlets_ij) -> BeamGeometry:
    """A geometry with given beamlets: per beam, an (n, 2) array of (ia, ib) grid indices
    (beamlet centre = index * width at the iso plane); columns follow that order."""
    if len(beamlets_ij) != len(beams.gantry_angles_deg):
        raise ValueError("one beamlet list per gantry angle is needed")
    iso = case.isocenter()
    sources, axes_all, origins, shapes, offsets, maps = [], [], [], [], [], []
    b_beam, b_ij, offset, col = [], [], 0, 0
    for k, (angle, ij) in enumerate(zip(beams.gantry_angles_deg, beamlets_ij, strict=True)):
        ij = np.asarray(ij, dtype=np.int64).reshape(-1, 2)
        if len(ij) == 0 or len({tuple(v) for v in ij.tolist()}) != len(ij):
            raise ValueError(f"beam {k}: beamlet indices must be non-empty and distinct")
        ax = beam_axes(float(angle))
        o = ij.min(axis=0)
        shp = ij.max(axis=0) - o + 1
        gmap = np.full(shp, -1, dtype=np.int32)
        gmap[ij[:, 0] - o[0], ij[:, 1] - o[1]] = np.arange(col, col + len(ij), dtype=np.int32)
        col += len(ij)
        b_beam.append(np.full(len(ij), k))
        b_ij.append(ij)
        sources.append(iso - beams.sad_mm * ax[0])
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


def beam_ssds(case: Case, geo: BeamGeometry, density: float = 0.05) -> np.ndarray:
    """Source-to-skin distance of each beam's central axis: where it first enters a voxel of
    at least ``density`` (nearest-voxel lookup; the boundary found by bisection)."""
    spacing = np.asarray(case.spacing_mm)
    shape = np.asarray(case.shape)

    def dense(src, ax, s):
        idx = np.floor((src + np.atleast_1d(s)[:, None] * ax) / spacing + 0.5).astype(np.int64)
        inside = np.all((idx >= 0) & (idx < shape), axis=1)
        out = np.zeros(len(idx), dtype=bool)
        out[inside] = case.densities[idx[inside, 0], idx[inside, 1], idx[inside, 2]] >= density
        return out

    step = 0.25 * float(spacing.min())
    out = []
    for src, ax in zip(geo.sources, geo.axes, strict=True):
        iso_dist = float(np.linalg.norm(case.isocenter() - src))
        s = np.arange(0.0, 2.0 * iso_dist, step)
        hit = np.flatnonzero(dense(src, ax[0], s))
        if not hit.size or hit[0] == 0:
            out.append(iso_dist if not hit.size else 0.0)
            continue
        lo, hi = float(s[hit[0] - 1]), float(s[hit[0]])
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if dense(src, ax[0], mid)[0] else (mid, hi)
        out.append(hi)
    return np.asarray(out)
