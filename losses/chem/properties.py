"""Cheap RDKit properties: QED, Lipinski's rule of five, synthetic accessibility (SA score)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Lipinski:
    """Rule-of-five descriptors; ``violations`` counts the rules broken (0 or 1 is acceptable)."""

    mol_weight: float
    logp: float
    h_donors: int
    h_acceptors: int
    violations: int

    def to_dict(self) -> dict:
        return asdict(self)

    def broken(self) -> list[str]:
        rules = [
            (self.mol_weight > 500, f"molecular weight {self.mol_weight:.0f} Da > 500"),
            (self.logp > 5, f"logP {self.logp:.1f} > 5"),
            (self.h_donors > 5, f"{self.h_donors} H-bond donors > 5"),
            (self.h_acceptors > 10, f"{self.h_acceptors} H-bond acceptors > 10"),
        ]
        return [text for broken, text in rules if broken]


def qed(mol) -> float:
    """RDKit's quantitative estimate of drug-likeness, 0 (unlike drugs) to 1 (drug-like)."""
    from rdkit.Chem import QED

    return float(QED.qed(mol))


def lipinski(mol) -> Lipinski:
    from rdkit.Chem import Crippen, Descriptors
    from rdkit.Chem import Lipinski as L

    mw = float(Descriptors.MolWt(mol))
    logp = float(Crippen.MolLogP(mol))
    hbd, hba = int(L.NumHDonors(mol)), int(L.NumHAcceptors(mol))
    violations = int(mw > 500) + int(logp > 5) + int(hbd > 5) + int(hba > 10)
    return Lipinski(round(mw, 2), round(logp, 3), hbd, hba, violations)


def sa_score(mol) -> float:
    """Ertl and Schuffenhauer's synthetic accessibility: 1 (easy to make) to 10 (very hard)."""
    from rdkit.Contrib.SA_Score import sascorer

    return float(sascorer.calculateScore(mol))


def properties(mol) -> dict:
    """QED, SA score and Lipinski descriptors of one molecule, as plain numbers."""
    return {"qed": qed(mol), "sa": sa_score(mol), **lipinski(mol).to_dict()}
