"""Pose feedback: the parts of a molecule, contacts per part, contacts of the atom each candidate
edit changes (re-indexed from the docked canonical molecule), the text a model reads, and a real
Vina pose of a protonated amine matched back to its SMILES."""

from __future__ import annotations

from molecule_support import FAST, TARGET
from textgrad_sci.losses.chem.docking import DockResult, dock_isolated
from textgrad_sci.losses.chem.edits import edit_sites
from textgrad_sci.losses.chem.guidance import edit_effects, render_pose
from textgrad_sci.losses.chem.objective_loss import ObjectiveLoss
from textgrad_sci.losses.chem.objectives import score_objective
from textgrad_sci.losses.chem.pose import molecule_parts, part_contacts
from textgrad_sci.losses.chem.smiles import check_molecule

from textgrad_sci.variable import Variable

BENZOIC_ACID = "c1ccccc1C(=O)O"  # ring atoms first; RDKit's canonical O=C(O)c1ccccc1 ends with them


def mol(smiles: str):
    return check_molecule(smiles).mol


def ring_contacts(smiles: str, in_ring: int = 9, outside: int = 0) -> list[int]:
    """Contacts per atom of the canonical molecule: ``in_ring`` for ring atoms, else ``outside``."""
    canonical = mol(check_molecule(smiles).canonical)
    return [in_ring if a.IsInRing() else outside for a in canonical.GetAtoms()]


def test_parts_are_ring_systems_then_chains():
    parts = molecule_parts(mol("CCN(CC)C(=O)c1ccccc1"))
    assert sorted(len(p) for p in parts) == [6, 7]
    assert [len(p) for p in molecule_parts(mol("c1ccc2ccccc2c1"))] == [10]  # fused: one part
    assert sorted(len(p) for p in molecule_parts(mol("c1ccc(-c2ccccc2)cc1"))) == [6, 6]
    three = molecule_parts(mol("c1ccccc1CCOc1ccncc1"))
    assert sorted(len(p) for p in three) == [3, 6, 6]
    assert sorted(i for p in three for i in p) == list(range(15))


def test_part_contacts_sum_and_count_atoms_in_solvent():
    m = mol("O=C(O)c1ccccc1")
    parts = part_contacts(m, [0, 1, 0, 5, 5, 5, 5, 5, 5])
    assert parts[0] == {"part": "c1ccccc1", "atoms": [3, 4, 5, 6, 7, 8], "size": 6,
                        "contacts": 30, "exposed": 0}
    assert parts[1]["part"] == "O=CO" and (parts[1]["contacts"], parts[1]["exposed"]) == (1, 3)


def test_edit_contacts_are_reindexed_to_the_input_molecule():
    contacts = ring_contacts(BENZOIC_ACID)
    effects = edit_effects(BENZOIC_ACID, n=50, seed=3, contacts=contacts)
    sites = edit_sites(BENZOIC_ACID, n=50, seed=3)
    assert len(effects) == len(sites) > 10
    given = mol(BENZOIC_ACID)
    for effect, (smiles, _, atom) in zip(effects, sites, strict=True):
        assert effect.smiles == smiles
        assert effect.contacts == (9 if given.GetAtomWithIdx(atom).IsInRing() else 0)
    assert {e.contacts for e in effects} == {0, 9}  # edits on both kinds of atom
    assert all(e.contacts is None for e in edit_effects(BENZOIC_ACID, n=6, seed=3))
    # a contact list of the wrong length (another molecule's) is ignored, not misapplied
    assert all(e.contacts is None for e in edit_effects(BENZOIC_ACID, 6, 3, [1, 2, 3]))


def test_render_pose_names_buried_and_exposed_parts():
    canonical = check_molecule(BENZOIC_ACID).canonical
    lines = render_pose(canonical, {"F2": ring_contacts(BENZOIC_ACID), "LCK": None})
    assert len(lines) == 2  # F2's pose and the hint; LCK's pose could not be read
    assert lines[0] == ("Docked pose in F2: touching the protein: c1ccccc1 (54 contacts); "
                        "pointing into solvent: O=CO (3 of 3 atoms in solvent).")
    assert "atoms in solvent change QED" in lines[1]
    assert render_pose(canonical, {"F2": None}) == []


class ContactService:
    """Docks instantly: Vina -7, ring atoms 9 contacts, the rest none."""

    def dock_many(self, pairs):
        return [DockResult(s, t, score=-7.0, contacts=ring_contacts(s)) for s, t in pairs]


def test_objective_feedback_tags_each_edit_buried_or_in_solvent():
    loss = ObjectiveLoss("F2", lambda s: score_objective(s, "F2", ContactService()), edits=50,
                         seed=3)
    variable = Variable(BENZOIC_ACID, role_description="molecule", requires_grad=True)
    measurement = loss.measure(variable.value)
    text = loss.feedback(measurement, variable)
    assert "Docked pose in F2: touching the protein: c1ccccc1 (54 contacts)" in text
    assert text.count("a buried atom: 9 protein atoms within 4 A") >= 1
    assert text.count("an atom in solvent") >= 1
    assert measurement.numbers["contacts"]["F2"] == ring_contacts(BENZOIC_ACID)


def test_real_pose_of_a_protonated_amine_maps_to_every_heavy_atom():
    smiles = check_molecule("CN1CCN(c2ccccc2)CC1").canonical  # docked as its [NH+] form
    result: DockResult = dock_isolated(smiles, TARGET, FAST)
    assert result.error is None, result.error
    assert "+" in result.protonated
    assert len(result.contacts) == check_molecule(smiles).heavy_atoms == 13
    assert sum(result.contacts) > 20 and max(result.contacts) >= 4  # it sits in the pocket
    lines = render_pose(smiles, {TARGET: result.contacts})
    assert lines and lines[0].startswith(f"Docked pose in {TARGET}: touching the protein: ")
