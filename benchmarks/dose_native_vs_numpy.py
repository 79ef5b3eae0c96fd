"""Native (C++) vs pure NumPy/SciPy dose simulator on the prostate case (5 mm, 7 beams).

Measures, in the same run: dose-matrix build, FMO time to the same objective value, and the
sparse mat-vec throughput against this machine's memory bandwidth (a large NumPy copy).
Run: python benchmarks/dose_native_vs_numpy.py [--resolution 5] [--iters 60]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dose_common import best_of, prostate_objectives  # noqa: E402
from textgrad_sci.losses.dose import (  # noqa: E402
    BeamSetup,
    compile_objectives,
    compute_dose_influence,
    initial_fluence,
    native_module,
    optimize_fluence,
    prostate_case,
)
from textgrad_sci.losses.dose.fmo import Problem, lbfgsb  # noqa: E402
from textgrad_sci.losses.dose.influence import default_threads, solver_threads  # noqa: E402
from textgrad_sci.losses.dose.reference import dose_influence_numpy, fg_numpy  # noqa: E402


def time_to_target(fg, x0, max_iter, target):
    """Run L-BFGS-B, return the wall time at which the objective first reached target."""
    marks: list[tuple[float, float]] = []
    start = time.perf_counter()

    def tracked(x):
        f, g = fg(x)
        marks.append((time.perf_counter() - start, f))
        return f, g

    lbfgsb(tracked, x0, max_iter)
    hit = [t for t, f in marks if f <= target]
    return (hit[0] if hit else float("inf")), min(f for _, f in marks)


def memory_bandwidth(mb: int = 512) -> float:
    """GB/s of a large array copy (bytes read + written)."""
    src = np.ones(mb * 2**20 // 8)
    dst = np.empty_like(src)
    t = best_of(lambda: np.copyto(dst, src), 5)
    return 2 * src.nbytes / t / 1e9


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--resolution", type=float, default=5.0)
    ap.add_argument("--iters", type=int, default=60)
    args = ap.parse_args()
    if native_module() is None:
        print("textgrad_sci._native has no dose kernels", file=sys.stderr)
        return 1
    case = prostate_case(args.resolution)
    beams = BeamSetup()
    print(f"case {case.name} {case.shape} ({case.n_voxels} voxels), "
          f"{len(beams.gantry_angles_deg)} beams; threads: build {default_threads()}, "
          f"solver {solver_threads()} (load average {os.getloadavg()[0]:.1f})")

    t_nat = best_of(lambda: compute_dose_influence(case, beams), 3)
    D = compute_dose_influence(case, beams)
    t0 = time.perf_counter()
    ref = dose_influence_numpy(case, beams)
    t_np = time.perf_counter() - t0
    diff = abs(D.to_scipy().astype(np.float64) - ref).max()
    print(f"matrix {D.shape[0]} x {D.shape[1]}, nnz {D.nnz}, max |native - numpy| {diff:.2e}")
    print(f"dose-matrix build: native {t_nat:.3f} s, numpy {t_np:.3f} s, ratio {t_np / t_nat:.1f}x")

    objs = prostate_objectives()
    terms = compile_objectives(case, objs)
    x0 = initial_fluence(D, case)
    _, fg_np = fg_numpy(ref, terms)
    t0 = time.perf_counter()
    _, f_base = time_to_target(fg_np, x0, args.iters, -np.inf)
    t_base = time.perf_counter() - t0
    prob = Problem(D, terms)
    target = f_base * (1 + 1e-9)
    t_lb, _ = time_to_target(prob.value_and_grad, x0, 4 * args.iters, target)
    solvers = {
        "projected gradient": lambda k: prob.native.solve_pgd(x0, k, 0.0),
        "projected L-BFGS": lambda k: prob.native.solve_lbfgs(x0, k, 0.0, 10),
    }
    native_times = {"SciPy L-BFGS-B": t_lb}
    for name, solve in solvers.items():
        hist = solve(4 * args.iters)[1]
        reach = next((i for i, f in enumerate(hist) if f <= target), None)
        if reach is None:
            native_times[name] = float("inf")
        else:
            native_times[name] = best_of(lambda s=solve, k=reach: s(k), 2)
        print(f"  native {name}: {native_times[name]:.2f} s ({reach} iterations)")
    print(f"  native SciPy L-BFGS-B (C++ objective/gradient): {t_lb:.2f} s")
    t_fmo = min(native_times.values())
    print(f"FMO target f = {target:.4f} (numpy L-BFGS-B, {args.iters} iterations, {t_base:.2f} s)")
    pg = optimize_fluence(D, case, objs, method="native_lbfgs", max_iter=args.iters)
    x = pg.fluence
    t_mv = best_of(lambda: D.dose(x), 10)
    sp_m = D.to_scipy().astype(np.float64)
    t_sp = best_of(lambda: sp_m @ x, 10)
    moved = D.nnz * 8 + (D.shape[0] + 1) * 8 + D.shape[0] * 8 + D.shape[1] * 8
    moved_sp = D.nnz * 12 + (D.shape[0] + 1) * 4 + D.shape[0] * 8 + D.shape[1] * 8
    bw = memory_bandwidth()
    gbs, gbs_sp = moved / t_mv / 1e9, moved_sp / t_sp / 1e9
    print(f"mat-vec: native {t_mv * 1e3:.2f} ms ({gbs:.2f} GB/s, {D.nnz / t_mv / 1e9:.2f} Gnnz/s),"
          f" scipy float64 {t_sp * 1e3:.2f} ms ({gbs_sp:.2f} GB/s); memcpy {bw:.2f} GB/s")
    print(f"matvec_bandwidth: {gbs:.2f} GB/s (baseline: {bw:.2f} GB/s memcpy, "
          f"ratio: {gbs / bw:.2f})")
    print(f"fmo_to_same_objective: {t_fmo:.2f} s (baseline: {t_base:.2f} s, "
          f"ratio: {t_base / t_fmo:.1f})")
    print(f"dose_matrix_build: {t_nat:.3f} s (baseline: {t_np:.3f} s, ratio: {t_np / t_nat:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
