"""Shared fixtures for the dose tests: tiny water phantoms and a dense model evaluation."""

from __future__ import annotations

import numpy as np
from scipy.special import erf
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
    """The same pencil-beam model evaluated densely (every voxel x every beamlet)."""
    model = model or PhysicsModel()
    geo = beam_geometry(case, beams)
    flat = np.flatnonzero(case.structures["BODY"])
    pts = np.stack(np.unravel_index(flat, case.shape), axis=1) * np.asarray(case.spacing_mm)
    out = np.zeros((case.n_voxels, geo.n_beamlets))
    w, sad, cut = beams.beamlet_width_mm, beams.sad_mm, beams.lateral_cutoff_mm
    pk = {}
    for beta in (model.beta_primary, model.beta_scatter):
        zz = np.linspace(0, 400, 400001)
        pk[beta] = depth_term(zz, model.mu_per_mm, beta).max()
    step = model.step_fraction * min(case.spacing_mm)
    for k, (src, ax) in enumerate(zip(geo.sources, geo.axes, strict=True)):
        r = pts - src
        t = r @ ax[0]
        a, b = (r @ ax[1]) * sad / t, (r @ ax[2]) * sad / t
        z = radiological_depth(case, pts, src, step)
        cols = np.flatnonzero(geo.beamlet_beam == k)
        centres = geo.beamlet_ij[cols] * w  # (nb, 2)
        scale = (t / sad)[:, None]
        half = 0.5 * w * scale
        oa = (a[:, None] - centres[None, :, 0]) * scale
        ob = (b[:, None] - centres[None, :, 1]) * scale
        inside = (np.abs(oa) <= half + cut) & (np.abs(ob) <= half + cut)

        def prof(o, sigma, half=half):
            s = np.sqrt(2.0) * sigma[:, None]
            return 0.5 * (erf((o + half) / s) - erf((o - half) / s))

        sp = np.hypot(model.sigma0_mm, model.sigma_growth * z)
        ss = np.hypot(model.scatter_sigma0_mm, model.scatter_growth * z)
        mu, bp, bs = model.mu_per_mm, model.beta_primary, model.beta_scatter
        ddp = (1 - model.scatter_fraction) * depth_term(z, mu, bp) / pk[bp]
        dds = model.scatter_fraction * depth_term(z, mu, bs) / pk[bs]
        val = ((sad / t) ** 2)[:, None] * (
            ddp[:, None] * prof(oa, sp) * prof(ob, sp) + dds[:, None] * prof(oa, ss) * prof(ob, ss)
        )
        out[np.ix_(flat, cols)] = np.where(inside & (val > model.min_entry), val, 0.0)
    return out
