"""Shared fixtures for the dose tests: tiny water phantoms and a dense model evaluation."""

from __future__ import annotations

import numpy as np
from scipy.interpolate import RegularGridInterpolator
from textgrad_sci.losses.dose import BeamSetup, Case, PhysicsModel, beam_geometry
from textgrad_sci.losses.dose.beams import depth_term
from textgrad_sci.losses.dose.reference import radiological_depth


def water_box(shape=(5, 15, 15), spacing=5.0, target_halfwidth=2, density=1.0, name="box"):
    """A water-filled box with a cubic target at its centre; BODY = whole grid."""
    dens = np.full(shape, density, dtype=np.float32)
    target = np.zeros(shape, dtype=bool)
    c = [s // 2 for s in shape]
    h = target_halfwidth
    target[c[0] - h : c[0] + h + 1, c[1] - h : c[1] + h + 1, c[2] - h : c[2] + h + 1] = True
    oar = np.zeros(shape, dtype=bool)
    oar[c[0] - 1 : c[0] + 2, c[1] + h + 1 : c[1] + h + 3, c[2] - 1 : c[2] + 2] = True
    return Case(
        name=name,
        densities=dens,
        spacing_mm=(spacing,) * 3,
        structures={"PTV": target, "OAR": oar, "BODY": np.ones(shape, dtype=bool)},
        target="PTV",
        prescription_gy=60.0,
        isocenter_mm=tuple(ci * spacing for ci in c),
    )


def dense_dose_matrix(case: Case, beams: BeamSetup, model: PhysicsModel | None = None):
    """The same pencil-beam model evaluated densely (every voxel x every beamlet), with SciPy's
    bilinear interpolation of the lateral tables at signed offsets (mirrored tables)."""
    model = model or PhysicsModel()
    geo = beam_geometry(case, beams)
    mc = model.machine()
    tables = model.tables(case, geo, beams)
    flat = np.flatnonzero(case.structures["BODY"])
    pts = np.stack(np.unravel_index(flat, case.shape), axis=1) * np.asarray(case.spacing_mm)
    out = np.zeros((case.n_voxels, geo.n_beamlets))
    w, sad, cut, h = (beams.beamlet_width_mm, beams.sad_mm, beams.lateral_cutoff_mm,
                      model.table_step_mm)
    step = model.step_fraction * min(case.spacing_mm)
    for k, (src, ax) in enumerate(zip(geo.sources, geo.axes, strict=True)):
        n = tables[k].shape[0]
        full = np.concatenate([tables[k][:0:-1], tables[k]], axis=0)
        full = np.concatenate([full[:, :0:-1], full], axis=1)  # T(-a, b) = T(a, b)
        axis = np.arange(-(n - 1), n) * h
        interp = RegularGridInterpolator((axis, axis), full, bounds_error=False, fill_value=0.0)
        r = pts - src
        t = r @ ax[0]
        a, b = (r @ ax[1]) * sad / t, (r @ ax[2]) * sad / t
        z = radiological_depth(case, pts, src, step)
        dd = np.stack([depth_term(z, mc.m, beta) for beta in mc.betas], axis=1)
        cols = np.flatnonzero(geo.beamlet_beam == k)
        centres = geo.beamlet_ij[cols] * w  # (nb, 2)
        da = a[:, None] - centres[None, :, 0]
        db = b[:, None] - centres[None, :, 1]
        lat = interp(np.stack([da.ravel(), db.ravel()], axis=1)).reshape(*da.shape, 3)
        val = ((sad / t) ** 2)[:, None] * np.einsum("vbc,vc->vb", lat, dd)
        inside = da * da + db * db <= cut * cut
        out[np.ix_(flat, cols)] = np.where(inside & (val > model.min_entry), val, 0.0)
    return out
