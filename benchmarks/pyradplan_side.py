"""pyRadPlan's half of dose_vs_pyradplan.py; runs ONLY in the pyRadPlan venv (see that script).

Usage: PYRADPLAN_PYTHON pyradplan_side.py OUT.npz N_BEAMS [FLUENCE.npy]
Builds pyRadPlan's photon dose-influence matrix on its TG-119 phantom (generic 6 MV machine,
5 mm bixels, 5 mm dose grid), optimizes the fluence with TG119.mat's own objectives (unless a
fluence is given) and writes the geometry, the doses (z, y, x) and the timings to OUT.npz.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import SimpleITK as sitk  # noqa: N813  (pyRadPlan's image type)
from pyRadPlan import (
    PhotonPlan,
    calc_dose_influence,
    fluence_optimization,
    generate_stf,
    load_tg119,
)


def _dose_image(dij, fluence):
    img = dij.compute_result_dose_grid(fluence)["physical_dose"]
    return sitk.GetArrayFromImage(img).astype(np.float32), img


def main(out: str, n_beams: int, fluence_path: str | None = None) -> None:
    ct, cst = load_tg119()
    pln = PhotonPlan(machine="Generic")
    pln.prop_stf = {
        "gantry_angles": np.linspace(0, 360, n_beams, endpoint=False),
        "couch_angles": np.zeros((n_beams,)),
        "bixel_width": 5.0,
    }
    pln.prop_dose_calc = {"dose_grid": {"resolution": {"x": 5.0, "y": 5.0, "z": 5.0}}}
    t0 = time.perf_counter()
    stf = generate_stf(ct, cst, pln)
    dij = calc_dose_influence(ct, cst, stf, pln)
    t_dij = time.perf_counter() - t0
    rays = [(b, r) for b, beam in enumerate(stf.beams) for r in beam.rays]
    iso = np.asarray(stf.beams[0].iso_center, dtype=np.float64)
    t0 = time.perf_counter()
    if fluence_path is None:
        info: dict = {}
        fluence = np.asarray(fluence_optimization(ct, cst, stf, dij, pln, opt_info=info),
                             dtype=np.float64)
        n_iter = int(info.get("num_iter", -1))
    else:
        fluence = np.load(fluence_path)
        n_iter = 0
    t_opt = time.perf_counter() - t0 if fluence_path is None else 0.0
    uniform, img = _dose_image(dij, np.ones(dij.total_num_of_bixels))
    optimized, _ = _dose_image(dij, fluence)
    np.savez_compressed(
        out,
        iso_xyz=iso,
        gantry=np.asarray([b.gantry_angle for b in stf.beams], dtype=np.float64),
        ray_beam=np.asarray([b for b, _ in rays], dtype=np.int64),
        ray_pos_xyz=np.asarray([np.asarray(r.ray_pos, dtype=np.float64) for _, r in rays]),
        ray_pos_bev=np.asarray([np.asarray(r.ray_pos_bev, dtype=np.float64) for _, r in rays]),
        source_xyz=np.asarray([np.asarray(b.source_point, dtype=np.float64)
                               for b in stf.beams]),
        dose_origin_xyz=np.asarray(img.GetOrigin()), dose_spacing_xyz=np.asarray(img.GetSpacing()),
        dose_uniform=uniform, dose_optimized=optimized, fluence=fluence,
        nnz=np.int64(dij.physical_dose.flat[0].nnz), t_dij=t_dij, t_opt=t_opt,
        opt_iterations=np.int64(n_iter),
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
