"""Which parts of a docked pose touch the receptor and which stick out into solvent: receptor
heavy atoms within 4 angstrom of each ligand heavy atom in Vina's best pose, reported per heavy
atom of the docked SMILES and summed over the molecule's parts (ring systems, chains)."""

from __future__ import annotations

from functools import lru_cache

CONTACT_RADIUS = 4.0  # angstrom: a heavy-atom contact, as interaction fingerprints count them
EXPOSED_BELOW = 2  # a ligand atom with fewer receptor atoms than this within the radius


@lru_cache(maxsize=2)
def receptor_heavy_atoms(path: str):
    """(N, 3) coordinates of the receptor's non-hydrogen atoms (PDBQT columns 31-54, type 78+)."""
    import numpy as np

    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(("ATOM", "HETATM")) and line[77:79].strip() not in ("H", "HD"):
                rows.append((float(line[30:38]), float(line[38:46]), float(line[46:54])))
    return np.array(rows, dtype=float).reshape(-1, 3)


def _skeleton(mol):
    """The heavy-atom graph only (elements and connections): protonation, charges and bond
    orders of the docked form then match the SMILES it came from."""
    from rdkit import Chem

    rw = Chem.RWMol(Chem.RemoveHs(mol, sanitize=False))
    for atom in rw.GetAtoms():
        atom.SetFormalCharge(0)
        atom.SetIsAromatic(False)
        atom.SetNoImplicit(True)
        atom.SetNumExplicitHs(0)
    for bond in rw.GetBonds():
        bond.SetBondType(Chem.BondType.SINGLE)
        bond.SetIsAromatic(False)
    out = rw.GetMol()
    out.UpdatePropertyCache(strict=False)
    Chem.FastFindRings(out)
    return out


def atom_contacts(pose_pdbqt: str, receptor: str, smiles: str) -> list[int]:
    """Receptor heavy atoms within 4 angstrom of each heavy atom of ``smiles`` (RDKit's atom
    order) in the first pose of ``pose_pdbqt`` (Vina's output of a meeko ligand)."""
    import numpy as np
    from meeko import PDBQTMolecule, RDKitMolCreate
    from rdkit import Chem

    posed = RDKitMolCreate.from_pdbqt_mol(PDBQTMolecule(pose_pdbqt, skip_typing=True))[0]
    posed = Chem.RemoveHs(posed, sanitize=False)
    match = _skeleton(posed).GetSubstructMatch(_skeleton(Chem.MolFromSmiles(smiles)))
    if not match:
        raise ValueError("the docked pose does not match the molecule's heavy atoms")
    xyz = posed.GetConformer(0).GetPositions()[list(match)]
    rec = receptor_heavy_atoms(str(receptor))
    dist = np.linalg.norm(xyz[:, None, :] - rec[None, :, :], axis=-1)
    return [int(n) for n in (dist < CONTACT_RADIUS).sum(axis=1)]


def molecule_parts(mol) -> list[list[int]]:
    """Heavy-atom index lists: each ring system (fused rings merged), then each connected chain
    of non-ring atoms."""
    systems: list[set[int]] = []
    for ring in (set(r) for r in mol.GetRingInfo().AtomRings()):
        for s in [s for s in systems if s & ring]:
            systems.remove(s)
            ring |= s
        systems.append(ring)
    in_ring = set().union(*systems)
    chains: list[set[int]] = []
    for atom in mol.GetAtoms():
        if atom.GetIdx() in in_ring or any(atom.GetIdx() in c for c in chains):
            continue
        chain, todo = set(), [atom.GetIdx()]
        while todo:
            a = todo.pop()
            if a not in chain:
                chain.add(a)
                todo += [n.GetIdx() for n in mol.GetAtomWithIdx(a).GetNeighbors()
                         if n.GetIdx() not in in_ring]
        chains.append(chain)
    return [sorted(p) for p in systems + chains]


def part_contacts(mol, contacts: list[int]) -> list[dict]:
    """Per part of ``mol``: its SMILES, atom indices, receptor contacts and solvent-exposed
    atoms; most contacts first."""
    from rdkit import Chem

    parts = []
    for atoms in molecule_parts(mol):
        mine = [contacts[i] for i in atoms]
        parts.append({"part": Chem.MolFragmentToSmiles(mol, atoms), "atoms": atoms,
                      "size": len(atoms), "contacts": sum(mine),
                      "exposed": sum(n < EXPOSED_BELOW for n in mine)})
    return sorted(parts, key=lambda p: -p["contacts"])
