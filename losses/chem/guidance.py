"""Tool feedback a weak model can follow: which of QED's eight desirability terms costs a molecule
most, the effect of each candidate edit on QED, logP, molecular weight and SA score (cheap RDKit
numbers), and, from the docked pose, which parts touch the protein and which point into solvent
and whether each edit changes a buried or an exposed atom."""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import guidance_prompts as prompts
from .edits import edit_sites
from .pose import EXPOSED_BELOW, part_contacts
from .properties import properties
from .smiles import SmilesError, check_molecule

# One step of each QED property, to tell whether raising or lowering it helps.
_STEPS = {"MW": 30.0, "ALOGP": 0.5, "HBA": 1, "HBD": 1, "PSA": 10.0, "ROTB": 1, "AROM": 1,
          "ALERTS": 1}


@dataclass(frozen=True)
class QedTerm:
    """One desirability term: its property value, the QED gained were it perfect, the fix."""

    name: str
    value: float
    gain: float
    direction: str


def qed_terms(mol) -> list[QedTerm]:
    """QED's eight terms, costliest first (``gain``: QED if this term's desirability were 1,
    minus QED)."""
    from rdkit.Chem import QED

    props = QED.properties(mol)._asdict()
    weights = dict(zip(props, QED.WEIGHT_MEAN, strict=True))
    des = {n: QED.ads(v, QED.adsParameters[n]) for n, v in props.items()}
    total = sum(weights.values())
    log_qed = sum(weights[n] * math.log(d) for n, d in des.items()) / total
    terms = []
    for name, value in props.items():
        gain = math.exp(log_qed - weights[name] * math.log(des[name]) / total) - math.exp(log_qed)
        up = QED.ads(value + _STEPS[name], QED.adsParameters[name])
        down = QED.ads(max(0.0, value - _STEPS[name]), QED.adsParameters[name])
        direction = "raise it" if up > down else "lower it"
        terms.append(QedTerm(name, round(float(value), 3), max(0.0, gain), direction))
    return sorted(terms, key=lambda t: -t.gain)


@dataclass(frozen=True)
class EditEffect:
    smiles: str
    change: str
    dqed: float
    dlogp: float
    dmw: float
    dsa: float
    contacts: int | None = None  # receptor atoms near the edited atom in the docked pose


def edit_effects(smiles: str, n: int = 4, seed: int = 0,
                 contacts: list[int] | None = None) -> list[EditEffect]:
    """The ``n`` one-edit analogues of ``smiles`` the seed picks (as :func:`analogues`), each
    with its change of QED, logP, weight and SA (empty for an invalid molecule); with
    ``contacts`` (per heavy atom of the canonical molecule, as docking reports them), the
    contacts of the atom each edit changes."""
    try:
        molecule = check_molecule(smiles)
    except SmilesError:
        return []
    base = properties(molecule.mol)
    near = _in_input_order(molecule, contacts) if contacts else None
    out = []
    for analogue, change, atom in edit_sites(smiles, n=n, seed=seed):
        p = properties(check_molecule(analogue).mol)
        out.append(EditEffect(analogue, change, p["qed"] - base["qed"], p["logp"] - base["logp"],
                              p["mol_weight"] - base["mol_weight"], p["sa"] - base["sa"],
                              near[atom] if near else None))
    return out


def _in_input_order(molecule, contacts: list[int]) -> list[int] | None:
    """Contacts listed for the canonical molecule, re-indexed to ``molecule``'s own atoms."""
    from rdkit import Chem

    canonical = Chem.MolFromSmiles(molecule.canonical)
    match = molecule.mol.GetSubstructMatch(canonical)
    if len(match) != len(contacts):
        return None
    out = [0] * len(contacts)
    for i, j in enumerate(match):
        out[j] = contacts[i]
    return out


def render_pose(canonical: str, contacts: dict[str, list[int] | None], top: int = 3) -> list[str]:
    """One line per docked target: the parts touching the protein and those in solvent."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(canonical)
    lines = []
    for target, counts in contacts.items():
        if not counts or len(counts) != mol.GetNumAtoms():
            continue
        parts = part_contacts(mol, counts)
        buried = [p for p in parts if 2 * p["exposed"] < p["size"]][:top]
        exposed = [p for p in parts if 2 * p["exposed"] >= p["size"]][:top]
        lines.append(prompts.POSE.format(
            target=target,
            buried=", ".join(prompts.BURIED.format(**p) for p in buried) or prompts.NONE,
            exposed=", ".join(prompts.EXPOSED.format(**p) for p in exposed) or prompts.NONE))
    return lines + [prompts.POSE_HINT] if lines else []


def render_terms(mol, top: int = 3) -> list[str]:
    terms = [t for t in qed_terms(mol) if t.gain >= 0.005
             and not (t.direction == "lower it" and t.value <= 0)][:top]
    if not terms:
        return [prompts.TERMS_NONE]
    return [prompts.TERMS] + [
        prompts.TERM.format(label=prompts.LABELS[t.name], value=t.value, direction=t.direction,
                            gain=t.gain) for t in terms]


def render_edits(effects: list[EditEffect]) -> list[str]:
    if not effects:
        return []
    best = max(range(len(effects)), key=lambda i: effects[i].dqed)
    return [prompts.EDITS] + [
        prompts.EDIT.format(n=i + 1, smiles=e.smiles, change=e.change, dqed=e.dqed,
                            dlogp=e.dlogp, dmw=e.dmw, dsa=e.dsa, site=_site(e),
                            best=prompts.BEST_QED if i == best else "")
        for i, e in enumerate(effects)]


def _site(effect: EditEffect) -> str:
    if effect.contacts is None:
        return ""
    if effect.contacts < EXPOSED_BELOW:
        return prompts.SITE_EXPOSED
    return prompts.SITE_BURIED.format(n=effect.contacts)
