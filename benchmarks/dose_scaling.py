"""Time per FMO iteration vs voxel count (prostate case, 7 beams, three grid sizes).

Expected: linear in the number of non-zeros of the dose-influence matrix, so the time per
non-zero stays about constant. The headline uses process CPU time, which a busy shared machine
disturbs less than wall time. Run: python benchmarks/dose_scaling.py [--sizes 7.5 5 3.5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dose_common import best_of, prostate_objectives  # noqa: E402
from textgrad_sci.losses.dose import (  # noqa: E402
    compile_objectives,
    compute_dose_influence,
    initial_fluence,
    prostate_case,
)
from textgrad_sci.losses.dose.fmo import Problem  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=float, nargs="+", default=[7.5, 5.0, 3.5])
    ap.add_argument("--iters", type=int, default=20)
    args = ap.parse_args()
    rows = []
    print(f"{'mm':>5} {'voxels':>9} {'nnz':>10} {'build s':>8} {'f+grad ms':>10} "
          f"{'PGD iter ms':>12} {'CPU ms':>7} {'CPU ns/nnz':>10}")
    for res in sorted(args.sizes, reverse=True):
        case = prostate_case(res)
        t0 = time.perf_counter()
        D = compute_dose_influence(case)
        build = time.perf_counter() - t0
        prob = Problem(D, compile_objectives(case, prostate_objectives()))
        x0 = initial_fluence(D, case)
        t_fg = best_of(lambda prob=prob, x0=x0: prob.value_and_grad(x0), 5)
        t0, c0 = time.perf_counter(), time.process_time()
        _, _, it = prob.native.solve_pgd(x0, args.iters, 0.0)
        t_it = (time.perf_counter() - t0) / max(it, 1)
        c_it = (time.process_time() - c0) / max(it, 1)
        ns = c_it / prob.native.active_nnz * 1e9
        rows.append((res, case.n_voxels, D.nnz, c_it, ns))
        print(f"{res:5.1f} {case.n_voxels:9d} {D.nnz:10d} {build:8.2f} {t_fg * 1e3:10.2f} "
              f"{t_it * 1e3:12.2f} {c_it * 1e3:7.2f} {ns:10.2f}")
    small, large = rows[0], rows[-1]
    print(f"voxels x{large[1] / small[1]:.1f}, nnz x{large[2] / small[2]:.1f}, "
          f"CPU time per iteration x{large[3] / small[3]:.1f}")
    print(f"fmo_iteration_cpu_ns_per_nnz: {large[4]:.2f} ns at {large[1]} voxels "
          f"(baseline: {small[4]:.2f} ns at {small[1]} voxels, ratio: {large[4] / small[4]:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
