"""Pure NumPy/SciPy implementation of the dose model, objectives and solver (tests, benchmarks)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import erf

from .beams import DEFAULT_BEAMS, DEFAULT_MODEL, BeamSetup, PhysicsModel, beam_geometry, depth_term
from .case import Case

SQRT2 = np.sqrt(2.0)


def body_points(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """Flat C-order indices of BODY voxels and their centres (z, y, x) in mm."""
    flat = np.flatnonzero(case.structures["BODY"]).astype(np.int64)
    pts = np.stack(np.unravel_index(flat, case.shape), axis=1) * np.asarray(case.spacing_mm)
    return flat, pts


def _dot3(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    return r[:, 0] * v[0] + r[:, 1] * v[1] + r[:, 2] * v[2]


def radiological_depth(case: Case, points: np.ndarray, source: np.ndarray, step: float):
    """Water-equivalent depth (mm) from each point back to the source, by marching the ray."""
    spacing = np.asarray(case.spacing_mm)
    shape = np.asarray(case.shape)
    r = points - source
    norm = np.sqrt(r[:, 0] * r[:, 0] + r[:, 1] * r[:, 1] + r[:, 2] * r[:, 2])
    e = -r / norm[:, None] / spacing  # marched in voxel-index units
    pi = points / spacing
    depth = np.zeros(len(points))
    active = np.arange(len(points))
    k = 0
    while active.size:
        idx = np.floor(pi[active] + ((k + 0.5) * step) * e[active] + 0.5).astype(np.int64)
        inside = np.all((idx >= 0) & (idx < shape), axis=1)
        active, idx = active[inside], idx[inside]
        depth[active] += case.densities[idx[:, 0], idx[:, 1], idx[:, 2]]
        k += 1
    return depth * step


def _profile(o: np.ndarray, half: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """A square beamlet of half-width `half` blurred by a Gaussian of width sigma."""
    s = SQRT2 * sigma
    return 0.5 * (erf((o + half) / s) - erf((o - half) / s))


def dose_influence_numpy(
    case: Case, beams: BeamSetup = DEFAULT_BEAMS, model: PhysicsModel = DEFAULT_MODEL
) -> sp.csr_matrix:
    """The dose-influence matrix (voxels x beamlets) in float64 CSR, beamlet by beamlet."""
    geo = beam_geometry(case, beams)
    prm = model.params(case.spacing_mm, beams)
    mu, bp, np_, bs, ns, s0, sg, fs, ss0, ssg, step, w, sad, cut, min_entry = prm
    flat, pts = body_points(case)
    rows, cols, vals = [], [], []
    for k in range(len(geo.sources)):
        src, ax = geo.sources[k], geo.axes[k]
        r = pts - src
        t = _dot3(r, ax[0])
        a = _dot3(r, ax[1]) * sad / t
        b = _dot3(r, ax[2]) * sad / t
        z = radiological_depth(case, pts, src, step)
        scale = t / sad
        half = 0.5 * w * scale
        lim = half + cut
        ddp = (1.0 - fs) * depth_term(z, mu, bp) / np_
        dds = fs * depth_term(z, mu, bs) / ns
        sp_ = np.sqrt(s0 * s0 + (sg * z) ** 2)
        ss_ = np.sqrt(ss0 * ss0 + (ssg * z) ** 2)
        inv_sq = (sad / t) ** 2
        for j in np.flatnonzero(geo.beamlet_beam == k):
            ia, ib = geo.beamlet_ij[j]
            oa = (a - ia * w) * scale
            ob = (b - ib * w) * scale
            sel = np.flatnonzero((np.abs(oa) <= lim) & (np.abs(ob) <= lim) & (t > 0))
            oa, ob, h = oa[sel], ob[sel], half[sel]
            v = inv_sq[sel] * (
                ddp[sel] * _profile(oa, h, sp_[sel]) * _profile(ob, h, sp_[sel])
                + dds[sel] * _profile(oa, h, ss_[sel]) * _profile(ob, h, ss_[sel])
            )
            keep = v > min_entry
            rows.append(flat[sel[keep]])
            cols.append(np.full(int(keep.sum()), j, dtype=np.int64))
            vals.append(v[keep])
    m = sp.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(case.n_voxels, geo.n_beamlets),
    ).tocsr()
    m.sort_indices()
    return m


# ---- objectives -------------------------------------------------------------------------

TAU_GY = 1.0  # temperature of the smooth maximum used by "max_dose"
EUD_FLOOR_GY = 1e-6


def dose_at_volume_flat(d: np.ndarray, volume_pct: float) -> float:
    """The dose that the hottest volume_pct % of the voxels receive at least."""
    n = d.size
    k = int(np.clip(np.ceil(volume_pct / 100.0 * n), 1, n))
    return float(np.partition(d, n - k)[n - k])


def objective_terms(dose: np.ndarray, terms) -> tuple[float, np.ndarray]:
    """Total objective and its gradient with respect to the flat dose (NumPy reference)."""
    total = 0.0
    grad = np.zeros_like(dose, dtype=np.float64)
    for t in terms:
        d = dose[t.voxels].astype(np.float64)
        n, p, w = d.size, t.dose_gy, t.weight
        if t.kind in ("squared_underdose", "squared_overdose", "squared_deviation"):
            diff = d - p
            if t.kind == "squared_underdose":
                diff = np.minimum(diff, 0.0)
            elif t.kind == "squared_overdose":
                diff = np.maximum(diff, 0.0)
            total += w * float(diff @ diff) / n
            g = 2.0 * w / n * diff
        elif t.kind in ("dvh_max", "dvh_min"):
            dv = dose_at_volume_flat(d, t.volume_pct)
            if t.kind == "dvh_max":
                sel = (d > p) & (d <= dv)
            else:
                sel = (d < p) & (d >= dv)
            diff = np.where(sel, d - p, 0.0)
            total += w * float(diff @ diff) / n
            g = 2.0 * w / n * diff
        elif t.kind == "mean_dose":
            e = max(float(d.mean()) - p, 0.0)
            total += w * e * e
            g = np.full(n, 2.0 * w * e / n)
        elif t.kind == "max_dose":
            s = float(d.max())
            ex = np.exp((d - s) / TAU_GY)
            sm = ex.sum()
            e = max(s + TAU_GY * np.log(sm) - p, 0.0)
            total += w * e * e
            g = 2.0 * w * e * ex / sm
        elif t.kind == "eud":
            a = t.eud_a
            dd = np.maximum(d, EUD_FLOOR_GY)
            m = float(np.mean(dd**a))
            eud = m ** (1.0 / a)
            e = max(eud - p, 0.0) if a >= 1.0 else min(eud - p, 0.0)
            total += w * e * e
            g = 2.0 * w * e * m ** (1.0 / a - 1.0) * dd ** (a - 1.0) / n
        else:
            raise ValueError(f"unknown objective kind {t.kind!r}")
        grad[t.voxels] += g  # voxel lists come from masks: unique indices
    return total, grad


def fg_numpy(matrix: sp.csr_matrix, terms):
    """f(x) and (f(x), grad f(x)) for fluence x, computed with SciPy sparse products."""
    mt = matrix.T.tocsr()

    def f(x: np.ndarray) -> float:
        return objective_terms(matrix @ x, terms)[0]

    def fg(x: np.ndarray) -> tuple[float, np.ndarray]:
        val, gd = objective_terms(matrix @ x, terms)
        return val, mt @ gd

    return f, fg


def pgd(f, fg, x0: np.ndarray, max_iter: int, tol: float = 1e-7):
    """Accelerated projected gradient (FISTA, backtracking, adaptive restart); x >= 0."""
    x = np.maximum(np.asarray(x0, dtype=np.float64), 0.0)
    fx, gx = fg(x)
    gn = float(np.linalg.norm(gx))
    if gn == 0.0:
        return x, [fx], 0
    delta = 1e-3 * max(float(np.linalg.norm(x)), 1.0) / gn
    _, g1 = fg(np.maximum(x - delta * gx, 0.0))
    dx = np.maximum(x - delta * gx, 0.0) - x
    lip = max(float(np.linalg.norm(g1 - gx)) / max(float(np.linalg.norm(dx)), 1e-300), 1e-12)
    y, t, hist, it = x.copy(), 1.0, [fx], 0
    while it < max_iter:
        it += 1
        fy, gy = fg(y)
        while True:
            xn = np.maximum(y - gy / lip, 0.0)
            step = xn - y
            fn = f(xn)
            if fn <= fy + float(gy @ step) + 0.5 * lip * float(step @ step) + 1e-12 * abs(fy):
                break
            lip *= 2.0
        if fn > fx:
            y, t = x.copy(), 1.0
            hist.append(fx)
            continue
        tn = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        beta = (t - 1.0) / tn
        y = xn + beta * (xn - x)
        done = fx - fn <= tol * max(abs(fx), 1.0)
        x, fx, t = xn, fn, tn
        lip *= 0.9
        hist.append(fx)
        if done:
            break
    return x, hist, it
