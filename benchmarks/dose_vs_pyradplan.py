"""Dose of the native pencil beam against pyRadPlan 0.5.0 (matRad in Python) on its TG-119.

pyRadPlan runs in its OWN venv (never a dependency of this project); make it once with
    python3 -m venv /tmp/pyradplan-venv
    /tmp/pyradplan-venv/bin/pip install pyradplan==0.5.0 pydantic==2.12.5
(or pass --setup). TG119.mat comes from the same wheel (pip download --no-deps + unzip).
Both engines: generic 6 MV machine, 5 mm bixels, 5 mm dose grid, pyRadPlan's beamlets.
Reports: 3%/3 mm global gamma inside BODY for the same fluence (pyRadPlan's optimized one, and
a uniform one), PTV/Core DVH metrics side by side, each engine's own optimized plan (TG119.mat's
objectives), and the end-to-end time (dose matrix + fluence optimization) ratio.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
VENV = Path("/tmp/pyradplan-venv")


def setup(venv: Path, work: Path) -> Path:
    """Create pyRadPlan's venv (when missing) and fetch TG119.mat; returns the .mat path."""
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "pyradplan==0.5.0",
                        "pydantic==2.12.5"], check=True)
    mat = work / "TG119.mat"
    if not mat.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d",
                        str(work), "pyradplan==0.5.0"], check=True)
        with zipfile.ZipFile(next(work.glob("pyradplan-*.whl"))) as z:
            mat.write_bytes(z.read("pyRadPlan/data/phantoms/TG119.mat"))
    return mat


def pyradplan(venv: Path, out: Path, n_beams: int) -> dict:
    """pyRadPlan's matrix, optimized plan and timings (benchmarks/pyradplan_side.py)."""
    proc = subprocess.run([str(venv / "bin" / "python"), str(HERE / "pyradplan_side.py"),
                           str(out), str(n_beams)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"pyRadPlan failed: {proc.stderr.strip().splitlines()[-1]}")
    with np.load(out) as f:
        return {k: f[k] for k in f.files}


def our_geometry(case, ref: dict, beams):
    """Our beamlets at pyRadPlan's ray positions (same order, so fluences carry over)."""
    from textgrad_sci.losses.dose.beams import beam_axes, geometry_from_beamlets

    w = beams.beamlet_width_mm
    per_beam = []
    for k, angle in enumerate(ref["gantry"]):
        ax = beam_axes(float(angle))
        pos = ref["ray_pos_xyz"][ref["ray_beam"] == k]  # relative to the isocentre, (x, y, z)
        zyx = pos[:, ::-1]
        ij = np.rint(np.stack([zyx @ ax[1], zyx @ ax[2]], axis=1) / w).astype(np.int64)
        per_beam.append(ij)
    return geometry_from_beamlets(case, beams, per_beam)


def metrics(dose, case) -> dict[str, float]:
    from textgrad_sci.losses.dose import dose_at_volume

    ptv, core = case.structures["OuterTarget"], case.structures["Core"]
    return {"PTV D95": dose_at_volume(dose, ptv, 95), "PTV D5": dose_at_volume(dose, ptv, 5),
            "PTV mean": float(dose[ptv].mean()), "Core D5": dose_at_volume(dose, core, 5),
            "Core mean": float(dose[core].mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", type=Path, default=VENV, help=f"pyRadPlan venv ({VENV})")
    parser.add_argument("--setup", action="store_true", help="create the venv if missing")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "dose_vs_prp")
    parser.add_argument("--beams", type=int, nargs="+", default=[5, 7])
    parser.add_argument("--fmo-iterations", type=int, default=300)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if not args.setup and not (args.venv / "bin" / "python").exists():
        raise SystemExit(f"no pyRadPlan venv at {args.venv}: run with --setup (see --help)")
    mat = setup(args.venv, args.work)

    from textgrad_sci.domains.radiotherapy.matrad import case_from_mat
    from textgrad_sci.losses.dose import (
        BeamSetup,
        Objective,
        compute_dose_influence,
        optimize_fluence,
    )
    from textgrad_sci.losses.dose.gamma import gamma_index

    lines = []
    for n_beams in args.beams:
        ref = pyradplan(args.venv, args.work / f"prp_{n_beams}.npz", n_beams)
        t0 = time.perf_counter()
        case = case_from_mat(mat)  # pyRadPlan's 5 mm dose grid
        origin = np.asarray(case.meta["origin_xyz_mm"])
        if not np.allclose(origin, ref["dose_origin_xyz"]) or case.shape != ref[
                "dose_uniform"].shape:
            raise SystemExit("dose grids differ from pyRadPlan's")
        case.isocenter_mm = tuple((ref["iso_xyz"] - origin)[::-1])
        beams = BeamSetup(gantry_angles_deg=tuple(float(a) for a in ref["gantry"]),
                          beamlet_width_mm=5.0)
        geo = our_geometry(case, ref, beams)
        D = compute_dose_influence(case, beams, geometry=geo)
        t_dij = time.perf_counter() - t0
        objectives = [Objective("Core", "squared_overdose", 25.0, 300.0),
                      Objective("OuterTarget", "squared_deviation", 50.0, 1000.0),
                      Objective("BODY", "squared_overdose", 30.0, 100.0)]
        t0 = time.perf_counter()
        res = optimize_fluence(D, case, objectives, method="native_lbfgs",
                               max_iter=args.fmo_iterations)
        t_opt = time.perf_counter() - t0
        body = case.structures["BODY"]
        same = D.dose(ref["fluence"]).reshape(case.shape)
        uni = D.dose(np.ones(D.shape[1])).reshape(case.shape)
        g_same = gamma_index(ref["dose_optimized"], same, case.spacing_mm, mask=body)
        g_uni = gamma_index(ref["dose_uniform"], uni, case.spacing_mm, mask=body)
        ratio_abs = float(uni[body].sum() / ref["dose_uniform"][body].sum())
        ours_t, theirs_t = t_dij + t_opt, float(ref["t_dij"] + ref["t_opt"])
        print(f"== {n_beams} beams, {D.shape[1]} beamlets: nnz {D.nnz:,} (pyRadPlan "
              f"{int(ref['nnz']):,})")
        print(f"gamma 3%/3mm in BODY, same fluence: optimized {g_same.pass_rate_pct:.1f} %, "
              f"uniform {g_uni.pass_rate_pct:.1f} %; integral dose ratio {ratio_abs:.3f}")
        rows = [("same fluence", metrics(same, case), metrics(ref["dose_optimized"], case)),
                ("own plans", metrics(res.dose.reshape(case.shape), case),
                 metrics(ref["dose_optimized"], case))]
        for label, ours, theirs in rows:
            print(f"  {label:13s}" + "; ".join(f"{k} {ours[k]:.2f} vs {theirs[k]:.2f} Gy"
                                              for k in ours))
        print(f"time: matrix {t_dij:.2f} s + FMO {t_opt:.2f} s ({res.iterations} it) vs "
              f"pyRadPlan {float(ref['t_dij']):.1f} s + {float(ref['t_opt']):.1f} s: "
              f"{theirs_t / ours_t:.1f}x")
        lines.append((n_beams, g_same.pass_rate_pct, ours_t, theirs_t))
    n, g, ours_t, theirs_t = lines[0]
    print(f"dose_vs_pyradplan ({n} beams): end-to-end {ours_t:.2f} s, gamma {g:.1f} % "
          f"(baseline: {theirs_t:.1f} s pyRadPlan, ratio: {theirs_t / ours_t:.1f}x)")


if __name__ == "__main__":
    main()
