"""What each strategy of a finished (or partial) ``molecule bench`` chose, read from its run
folder: for every proposed molecule, where it stood in the candidate edits the step listed
(recomputed from the recorded parent and the step's seed, as the bench picks them), whether it
was the edit best for QED, and whether the objective gate kept it. Random strategies pick among
the same candidates, so their row is the baseline of the model's.

    python benchmarks/molecule_choices.py RUN_DIR [--edits 4]
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

from textgrad_sci.losses.chem.guidance import edit_effects

from textgrad_sci.stats import bootstrap_ci


def choices(run_dir: Path, edits: int) -> dict[str, list[dict]]:
    """Per strategy: each proposal with its listed position (1-based, None if not listed),
    its QED rank among the candidates, its QED change and whether it was accepted."""
    out: dict[str, list[dict]] = {}
    for steps_file in sorted(run_dir.glob("runs/*/start*/seed*/steps.jsonl")):
        strategy = steps_file.parts[-4]
        seed = 1000 * (int(re.sub(r"\D", "", steps_file.parts[-2])) + 1)  # as the bench seeds
        for line in steps_file.read_text().splitlines():
            step = json.loads(line)
            for c in step.get("choices", []):
                if c["to"] is None or c["from"] is None:
                    continue
                listed = edit_effects(c["from"], edits, seed + step["step"])
                smiles = [e.smiles for e in listed]
                pos = smiles.index(c["to"]) + 1 if c["to"] in smiles else None
                by_qed = sorted(listed, key=lambda e: -e.dqed)
                rank = [e.smiles for e in by_qed].index(c["to"]) + 1 if pos else None
                out.setdefault(strategy, []).append(
                    {"position": pos, "qed_rank": rank, "accepted": c["accepted"],
                     "dqed": listed[pos - 1].dqed if pos else None})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path, help="a molecule bench --run-dir")
    parser.add_argument("--edits", type=int, default=4, help="candidate edits per step (bench)")
    args = parser.parse_args()
    found = choices(args.run_dir, args.edits)
    if not found:
        raise SystemExit(f"no bench runs with choices under {args.run_dir}")
    print("strategy  proposals  listed  position 1/2/3/4  best-for-QED [95% CI]  "
          "mean dQED  accepted")
    for strategy, rows in found.items():
        listed = [r for r in rows if r["position"]]
        accepted = f"{sum(r['accepted'] for r in rows)}/{len(rows)}"
        if not listed:  # e.g. Graph-GA: its children are not picked from the listed edits
            print(f"{strategy}  {len(rows)}  0  -  -  -  {accepted}")
            continue
        positions = Counter(r["position"] for r in listed)
        best, lo, hi = bootstrap_ci([float(r["qed_rank"] == 1) for r in listed])
        dqed = sum(r["dqed"] for r in listed) / len(listed)
        print(f"{strategy}  {len(rows)}  {len(listed)}  "
              + "/".join(str(positions.get(i, 0)) for i in range(1, args.edits + 1))
              + f"  {best:.2f} [{lo:.2f}, {hi:.2f}]  {dqed:+.3f}  {accepted}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
