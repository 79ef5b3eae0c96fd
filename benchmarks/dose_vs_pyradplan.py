"""Dose of the native pencil beam against pyRadPlan 0.5.0 (matRad in Python) on its TG-119.

pyRadPlan runs in its OWN venv (never a dependency of this project); make it once with
    python3 -m venv /tmp/prp/venv
    /tmp/prp/venv/bin/pip install pyradplan==0.5.0 pydantic==2.12.5
(or pass --setup to have this script run exactly those two commands; --venv for another path;
pydantic 2.12.5 is needed, newer pydantic breaks pyRadPlan's dose calculation). TG119.mat is
read from that venv's pyRadPlan/data/phantoms/ (the same wheel).
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
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
VENV = Path("/tmp/prp/venv")


def setup(venv: Path, work: Path) -> Path:
    """Create pyRadPlan's venv (when missing) and fetch TG119.mat; returns the .mat path."""
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "pyradplan==0.5.0",
                        "pydantic==2.12.5"], check=True)
    mats = sorted(venv.glob("lib/python*/site-packages/pyRadPlan/data/phantoms/TG119.mat"))
    if not mats:
        raise SystemExit(f"no pyRadPlan/data/phantoms/TG119.mat in {venv} (see --help)")
    return mats[0]


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


OBJECTIVES = (("Core", "squared_overdose", 25.0, 300.0),  # TG119.mat's cst objectives
              ("OuterTarget", "squared_deviation", 50.0, 1000.0),
              ("BODY", "squared_overdose", 30.0, 100.0))


def ours(mat: Path, ref: dict, model, args) -> dict:
    """This project's end to end (case load, matrix, FMO), timed from a cold table cache."""
    from textgrad_sci.domains.radiotherapy.matrad import case_from_mat
    from textgrad_sci.losses.dose import (
        BeamSetup,
        Objective,
        compute_dose_influence,
        optimize_fluence,
    )
    from textgrad_sci.losses.dose import beams as beams_mod

    beams_mod._TABLES.clear()
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
    D = compute_dose_influence(case, beams, geometry=geo, model=model)
    t_dij = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = optimize_fluence(D, case, [Objective(*o) for o in OBJECTIVES], method="native_lbfgs",
                           max_iter=args.fmo_iterations, tol=args.fmo_tol)
    t_opt = time.perf_counter() - t0
    return {"case": case, "beams": beams, "geo": geo, "D": D, "res": res, "t_dij": t_dij,
            "t_opt": t_opt}


def show(label: str, ours_: dict, ref: dict, exact=None) -> tuple[float, float]:
    """Print one variant's comparison; returns (gamma of the same fluence, time ratio)."""
    from textgrad_sci.losses.dose.gamma import gamma_index

    case, D, res = ours_["case"], ours_["D"], ours_["res"]
    body = case.structures["BODY"]
    same = D.dose(ref["fluence"]).reshape(case.shape)
    uni = D.dose(np.ones(D.shape[1])).reshape(case.shape)
    g_same = gamma_index(ref["dose_optimized"], same, case.spacing_mm, mask=body).pass_rate_pct
    g_uni = gamma_index(ref["dose_uniform"], uni, case.spacing_mm, mask=body).pass_rate_pct
    ratio_abs = float(uni[body].sum() / ref["dose_uniform"][body].sum())
    ours_t, theirs_t = ours_["t_dij"] + ours_["t_opt"], float(ref["t_dij"] + ref["t_opt"])
    print(f"-- {label}: nnz {D.nnz:,} (pyRadPlan {int(ref['nnz']):,})")
    print(f"  gamma 3%/3mm in BODY, same fluence: optimized {g_same:.2f} %, uniform "
          f"{g_uni:.2f} %; absolute dose ratio (uniform fluence, BODY sum) {ratio_abs:.4f}")
    theirs = metrics(ref["dose_optimized"], case)
    rows = [("same fluence", metrics(same, case)),
            ("own plans", metrics(res.dose.reshape(case.shape), case))]
    if exact is not None:  # the sampled matrix's plan, dosed by the exact matrix
        rows.append(("own, exact", metrics(exact.dose(res.fluence).reshape(case.shape), case)))
    for name, m in rows:
        print(f"  {name:13s}" + "; ".join(f"{k} {m[k]:.2f} vs {theirs[k]:.2f}" for k in m)
              + " Gy")
    print(f"  time: matrix {ours_['t_dij']:.2f} s + FMO {ours_['t_opt']:.2f} s "
          f"({res.iterations} it) vs pyRadPlan {float(ref['t_dij']):.1f} s + "
          f"{float(ref['t_opt']):.1f} s ({int(ref['opt_iterations'])} it): "
          f"{theirs_t / ours_t:.1f}x")
    return g_same, theirs_t / ours_t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", type=Path, default=VENV, help=f"pyRadPlan venv ({VENV})")
    parser.add_argument("--setup", action="store_true", help="create the venv if missing")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "dose_vs_prp")
    parser.add_argument("--beams", type=int, nargs="+", default=[5, 7])
    parser.add_argument("--fmo-iterations", type=int, default=500,
                        help="iteration cap of both FMOs' stop rule (pyRadPlan's: 500)")
    parser.add_argument("--fmo-tol", type=float, default=1e-5,
                        help="relative objective decrease that stops FMO (pyRadPlan's: 1e-5)")
    parser.add_argument("--tail-keep", type=float, default=0.25,
                        help="second variant: keep this fraction of matrix entries beyond "
                        "--tail-radius (matRad-style dij sampling; 1 = skip the variant)")
    parser.add_argument("--tail-radius", type=float, default=20.0, help="mm at the iso plane")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if not args.setup and not (args.venv / "bin" / "python").exists():
        raise SystemExit(f"no pyRadPlan venv at {args.venv}: run with --setup (see --help)")
    if not 0.0 < args.tail_keep <= 1.0:
        raise SystemExit("--tail-keep must be in (0, 1]")
    mat = setup(args.venv, args.work)

    from textgrad_sci.losses.dose import PhysicsModel

    summary = []
    for n_beams in args.beams:
        ref = pyradplan(args.venv, args.work / f"prp_{n_beams}.npz", n_beams)
        print(f"== {n_beams} beams, {len(ref['fluence'])} beamlets (pyRadPlan's rays)")
        exact = ours(mat, ref, PhysicsModel(), args)
        summary.append((n_beams, "exact", *show("exact matrix", exact, ref)))
        if args.tail_keep < 1.0:
            model = PhysicsModel(tail_radius_mm=args.tail_radius, tail_keep=args.tail_keep)
            sampled = ours(mat, ref, model, args)
            label = f"tail beyond {args.tail_radius:g} mm sampled, keep {args.tail_keep:g}"
            summary.append((n_beams, "sampled", *show(label, sampled, ref, exact["D"])))
    for n, kind, g, ratio in summary:
        print(f"dose_vs_pyradplan ({n} beams, {kind}): gamma {g:.2f} %, end-to-end "
              f"{ratio:.1f}x pyRadPlan's speed (baseline: pyRadPlan 0.5.0 in the same run)")


if __name__ == "__main__":
    main()
