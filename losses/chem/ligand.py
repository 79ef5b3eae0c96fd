"""Ligand preparation as DOCKSTRING does it: protonation at pH 7.4 (Open Babel), RDKit 3D
embedding with a fixed seed and MMFF/UFF refinement, then meeko to PDBQT."""

from __future__ import annotations

PREPARATION = "rdkit-etkdg3-mmff+obabel-ph+meeko-rigid-rings/1"
"""Names the preparation recipe; part of the docking cache key, so a change invalidates it."""


class LigandError(ValueError):
    """The molecule could not be prepared for docking; the message says why."""


def protonate(smiles: str, ph: float = 7.4) -> str:
    """The SMILES protonated for ``ph`` by Open Babel (as ``obabel -p7.4``)."""
    from openbabel import openbabel as ob  # not pybel: pybel after vina aborts the process

    conv = ob.OBConversion()
    conv.SetInAndOutFormats("smi", "can")
    mol = ob.OBMol()
    if not conv.ReadString(mol, smiles):
        raise LigandError(f"Open Babel could not read {smiles!r}")
    mol.CorrectForPH(ph)
    mol.AddHydrogens(False, True, ph)
    out = conv.WriteString(mol).split()
    if not out:
        raise LigandError(f"Open Babel could not protonate {smiles!r}")
    return out[0]


def embed(smiles: str, seed: int, max_iters: int = 1000):
    """An RDKit molecule with hydrogens and one refined 3D conformer (fixed by ``seed``)."""
    from rdkit import Chem
    from rdkit.Chem import AllChem

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise LigandError(f"RDKit could not read the protonated SMILES {smiles!r}")
    mol = Chem.AddHs(mol)
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    params.maxIterations = 10 * mol.GetNumAtoms()
    if AllChem.EmbedMolecule(mol, params) != 0:
        raise LigandError("RDKit could not generate a 3D conformation")
    if AllChem.MMFFHasAllMoleculeParams(mol):
        AllChem.MMFFOptimizeMolecule(mol, maxIters=max_iters)
    elif AllChem.UFFHasAllMoleculeParams(mol):
        AllChem.UFFOptimizeMolecule(mol, maxIters=max_iters)
    else:
        raise LigandError("no force-field parameters (MMFF94 or UFF) for this molecule")
    return mol


def to_pdbqt(mol) -> str:
    """meeko's PDBQT of a prepared molecule; meeko's typing errors become ``LigandError``."""
    from meeko import MoleculePreparation, PDBQTWriterLegacy

    try:
        # Rigid rings as DOCKSTRING's Open Babel PDBQT has them: meeko otherwise opens rings of
        # 7+ atoms with G pseudo-atoms, which plain Vina scoring does not close (diazepam on
        # DRD2 scored -6.4 instead of -7.9 kcal/mol).
        setups = MoleculePreparation(rigid_macrocycles=True).prepare(mol)
    except Exception as err:  # meeko raises ValueError, RuntimeError...
        raise LigandError(f"meeko could not prepare the ligand: {err}") from None
    pdbqt, ok, message = PDBQTWriterLegacy.write_string(setups[0])
    if not ok:
        raise LigandError(f"meeko could not write a PDBQT: {message.strip()}")
    return pdbqt


def prepare_ligand(smiles: str, seed: int, ph: float = 7.4) -> tuple[str, str]:
    """(protonated SMILES, PDBQT text) for docking ``smiles``."""
    protonated = protonate(smiles, ph)
    return protonated, to_pdbqt(embed(protonated, seed))
