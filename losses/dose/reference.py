"""Pure NumPy/SciPy implementation of the dose model, objectives and solver (tests, benchmarks)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .beams import DEFAULT_BEAMS, DEFAULT_MODEL, BeamSetup, PhysicsModel, beam_geometry, depth_term
from .case import Case


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


def lateral_lookup(table: np.ndarray, ua: np.ndarray, ub: np.ndarray, dd: np.ndarray):
    """Bilinear lookup of (n, n, 3) tables at (|da|, |db|) / step, weighted by dd (m, 3)."""
    n = table.shape[0]
    i, k = ua.astype(np.int64), ub.astype(np.int64)
    ok = (i + 1 < n) & (k + 1 < n)
    i, k = np.where(ok, i, 0), np.where(ok, k, 0)
    fa, fb = (ua - i)[:, None], (ub - k)[:, None]
    lo = (1.0 - fb) * table[i, k] + fb * table[i, k + 1]
    hi = (1.0 - fb) * table[i + 1, k] + fb * table[i + 1, k + 1]
    return np.where(ok, np.sum(dd * ((1.0 - fa) * lo + fa * hi), axis=1), 0.0)


def tail_uniform(voxels: np.ndarray, col: int) -> np.ndarray:
    """Uniform [0, 1) per (voxel, column): splitmix64, bit for bit the C++ kernel's."""
    x = np.asarray(voxels, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(col)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def dose_influence_numpy(
    case: Case, beams: BeamSetup = DEFAULT_BEAMS, model: PhysicsModel = DEFAULT_MODEL,
    geometry=None,
) -> sp.csr_matrix:
    """The dose-influence matrix (voxels x beamlets) in float64 CSR, beamlet by beamlet."""
    geo = geometry if geometry is not None else beam_geometry(case, beams)
    prm = model.params(case.spacing_mm, beams)
    mu, b1, b2, b3, step, w, sad, cut, min_entry, h, tail_r, keep = prm
    tables = model.tables(case, geo, beams)
    flat, pts = body_points(case)
    rows, cols, vals = [], [], []
    for k in range(len(geo.sources)):
        src, ax = geo.sources[k], geo.axes[k]
        r = pts - src
        t = _dot3(r, ax[0])
        a = _dot3(r, ax[1]) * sad / t
        b = _dot3(r, ax[2]) * sad / t
        z = radiological_depth(case, pts, src, step)
        dd = np.stack([depth_term(z, mu, beta) for beta in (b1, b2, b3)], axis=1)
        inv_sq = (sad / t) ** 2
        for j in np.flatnonzero(geo.beamlet_beam == k):
            ia, ib = geo.beamlet_ij[j]
            da = a - ia * w
            db = b - ib * w
            sel = np.flatnonzero((da * da + db * db <= cut * cut) & (t > 0))
            v = inv_sq[sel] * lateral_lookup(tables[k], np.abs(da[sel]) / h,
                                             np.abs(db[sel]) / h, dd[sel])
            if keep < 1.0:  # the same sampled tail as the C++ kernel
                tail = da[sel] ** 2 + db[sel] ** 2 > tail_r * tail_r
                drop = tail & (tail_uniform(flat[sel], j) >= keep)
                v = np.where(drop, 0.0, np.where(tail, v / keep, v))
            ok = v > min_entry
            rows.append(flat[sel[ok]])
            cols.append(np.full(int(ok.sum()), j, dtype=np.int64))
            vals.append(v[ok])
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
