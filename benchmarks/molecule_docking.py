"""Docking throughput: textgrad-sci's DockingService (Vina 1.2 bindings, persistent worker with
grid maps kept) vs DOCKSTRING's own ``dock()`` (Vina 1.1.2 binary), same ligands, targets,
exhaustiveness and CPU count, in the same run. Prints ligands per hour and the score gap.

    python benchmarks/molecule_docking.py --ligands 10 --targets DRD2 ESR1 --exhaustiveness 8
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

LIGANDS = [
    "CC(=O)Oc1ccccc1C(=O)O",  # aspirin
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",  # ibuprofen
    "CC(=O)Nc1ccc(O)cc1",  # paracetamol
    "CN1CCN(CC1)c1ccccc1",  # 1-methyl-4-phenylpiperazine
    "COc1ccc2[nH]cc(CCN(C)C)c2c1",  # 5-MeO-DMT
    "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21",  # diazepam
    "CC(C)NCC(O)COc1cccc2ccccc12",  # propranolol
    "O=C(CCCN1CCC(O)(CC1)c1ccc(Cl)cc1)c1ccc(F)cc1",  # haloperidol
    "Cn1cnc2c1c(=O)n(C)c(=O)n2C",  # caffeine
    "OC(=O)Cc1ccccc1Nc1c(Cl)cccc1Cl",  # diclofenac
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ligands", type=int, default=10)
    parser.add_argument("--targets", nargs="+", default=["DRD2", "ESR1"])
    parser.add_argument("--exhaustiveness", type=int, default=8)
    parser.add_argument("--cpu", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]
    from dockstring import load_target as ds_load_target
    from textgrad_sci.losses.chem.docking import DockingService, DockSettings

    pairs = [(s, t) for t in args.targets for s in LIGANDS[: args.ligands]]
    settings = DockSettings(exhaustiveness=args.exhaustiveness, cpu=args.cpu, timeout=1800)
    started = time.perf_counter()
    with DockingService(settings, max_workers=1, cache=False) as service:
        ours = service.dock_many(pairs)
    ours_s = time.perf_counter() - started

    theirs, started = [], time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        targets = {t: ds_load_target(t, working_dir=work) for t in args.targets}
        for smiles, target in pairs:
            try:
                score, _ = targets[target].dock(smiles, num_cpus=args.cpu)
            except Exception as err:  # report, do not stop the benchmark
                print(f"dockstring failed on {smiles} / {target}: {err}", file=sys.stderr)
                score = None
            theirs.append(score)
    theirs_s = time.perf_counter() - started

    print(f"{'target':8} {'ours':>7} {'dockstring':>10}  SMILES")
    diffs = []
    for (smiles, target), a, b in zip(pairs, ours, theirs, strict=True):
        print(f"{target:8} {a.score if a.ok else a.error[:20]!s:>7} {b!s:>10}  {smiles}")
        if a.ok and b is not None:
            diffs.append(a.score - b)
    n = len(pairs)
    ours_rate, theirs_rate = n / ours_s * 3600, n / theirs_s * 3600
    mean_diff = statistics.mean(diffs) if diffs else float("nan")
    mean_abs = statistics.mean(abs(d) for d in diffs) if diffs else float("nan")
    print(f"pairs {n}, exhaustiveness {args.exhaustiveness}, cpu {args.cpu}; "
          f"ours {ours_s:.1f} s, dockstring {theirs_s:.1f} s; "
          f"mean score difference (ours - dockstring) {mean_diff:+.2f} kcal/mol, "
          f"mean |difference| {mean_abs:.2f}")
    print(f"docking throughput: {ours_rate:.0f} ligands/h (baseline: {theirs_rate:.0f} ligands/h, "
          f"ratio: {ours_rate / theirs_rate:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
