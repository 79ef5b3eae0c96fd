"""Small structural edits of a molecule (RDKit): concrete one-step analogues a weak model can
copy or adapt. Deterministic for a seed; every analogue is valid and dockable."""

from __future__ import annotations

import random

from .smiles import SmilesError, check_molecule

_SUBSTITUENTS = ["C", "F", "Cl", "O", "N"]
_GROUPS = {"phenyl": "c1ccccc1", "piperazinyl": "C1CNCCN1", "methoxy": "OC", "amide": "C(N)=O"}


def _attach(mol, atom_idx: int, fragment_smiles: str):
    from rdkit import Chem

    frag = Chem.MolFromSmiles(fragment_smiles)
    combined = Chem.RWMol(Chem.CombineMols(mol, frag))
    combined.AddBond(atom_idx, mol.GetNumAtoms(), Chem.BondType.SINGLE)
    return combined.GetMol()


def _candidates(mol):
    """(description, molecule, edited atom) for every single edit; invalid ones are filtered
    later."""
    from rdkit import Chem

    with_h = [a.GetIdx() for a in mol.GetAtoms() if a.GetTotalNumHs() > 0]
    for idx in with_h:
        sym = mol.GetAtomWithIdx(idx).GetSymbol()
        for sub in _SUBSTITUENTS if sym == "C" else ["C"]:  # no O-Cl, N-O, O-O...
            yield f"add {sub} on atom {idx} ({sym})", _attach(mol, idx, sub), idx
        if sym != "C":
            continue
        for name, group in _GROUPS.items():
            yield f"add a {name} group on atom {idx} ({sym})", _attach(mol, idx, group), idx
    for atom in mol.GetAtoms():
        if atom.GetSymbol() == "C" and atom.GetIsAromatic() and atom.GetTotalNumHs() == 1:
            rw = Chem.RWMol(mol)
            rw.GetAtomWithIdx(atom.GetIdx()).SetAtomicNum(7)
            yield f"aromatic C{atom.GetIdx()} to N", rw.GetMol(), atom.GetIdx()
        if atom.GetDegree() == 1 and mol.GetNumHeavyAtoms() > 6:
            rw = Chem.RWMol(mol)
            rw.RemoveAtom(atom.GetIdx())
            yield f"remove terminal {atom.GetSymbol()}{atom.GetIdx()}", rw.GetMol(), atom.GetIdx()


def analogues(smiles: str, n: int = 4, seed: int = 0) -> list[tuple[str, str]]:
    """Up to ``n`` distinct valid one-edit analogues as (canonical SMILES, what changed)."""
    return [(analogue, change) for analogue, change, _ in edit_sites(smiles, n, seed)]


def edit_sites(smiles: str, n: int = 4, seed: int = 0) -> list[tuple[str, str, int]]:
    """:func:`analogues` with the index of the atom each edit changes (in ``smiles``'s
    canonical molecule)."""
    from rdkit import Chem

    try:
        base = check_molecule(smiles)
    except SmilesError:
        return []
    seen = {base.canonical}
    found: list[tuple[str, str, int]] = []
    for description, mol, atom in _candidates(base.mol):
        try:
            text = Chem.MolToSmiles(mol)
            canonical = check_molecule(text).canonical
        except (SmilesError, RuntimeError, ValueError):
            continue
        if canonical not in seen:
            seen.add(canonical)
            found.append((canonical, description, atom))
    random.Random(seed).shuffle(found)
    return found[:n]
