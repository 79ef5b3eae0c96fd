"""Reading SMILES strictly: RDKit parse and sanitize with RDKit's own error text captured, and
the checks docking needs (one fragment, Vina-typable elements, sane size), as readable reasons."""

from __future__ import annotations

import contextlib
import io
import re
import threading
from dataclasses import dataclass, field

VINA_ELEMENTS = frozenset({"H", "C", "N", "O", "F", "P", "S", "Cl", "Br", "I"})
"""Elements AutoDock Vina can type (through meeko); metals, B, Se, Si... are rejected."""

MAX_HEAVY_ATOMS = 70
_log_lock = threading.Lock()
_log_ready = False


class SmilesError(ValueError):
    """The SMILES is not a usable molecule; the message is written for a model to act on."""


@dataclass
class Molecule:
    """A checked molecule: the RDKit ``Mol``, its canonical SMILES, and non-fatal notes."""

    mol: object
    canonical: str
    warnings: list[str] = field(default_factory=list)

    @property
    def heavy_atoms(self) -> int:
        return self.mol.GetNumHeavyAtoms()  # type: ignore[attr-defined]


def _clean_log(text: str, smiles: str) -> str:
    lines = [re.sub(r"^\[\d\d:\d\d:\d\d\]\s*", "", ln).strip() for ln in text.splitlines()]
    lines = [ln.rstrip(":") for ln in lines if ln and ln != smiles and not set(ln) <= set("~^ ")]
    seen: list[str] = []
    for ln in lines:
        ln = ln.replace("SMILES Parse Error: ", "")
        if ln not in seen:
            seen.append(ln)
    return "; ".join(seen[:3])


def _parse_captured(smiles: str):
    """``MolFromSmiles(sanitize=False)`` and its chemistry problems, with RDKit's log captured
    instead of printed: (mol or None, problems, log text)."""
    global _log_ready
    from rdkit import Chem, rdBase

    with _log_lock:
        if not _log_ready:
            rdBase.LogToPythonStderr()
            _log_ready = True
        # Other libraries (mol-ga at import) disable RDKit's error log process-wide: the reasons
        # are read from it, so it is on while parsing and left as it was found.
        was_off = "rdApp.error:disabled" in rdBase.LogStatus()
        rdBase.EnableLog("rdApp.error")
        buf = io.StringIO()
        with contextlib.redirect_stderr(buf):
            mol = Chem.MolFromSmiles(smiles, sanitize=False)
            problems = []
            if mol is not None:
                failed = Chem.SanitizeMol(mol, catchErrors=True)
                if failed != Chem.SanitizeFlags.SANITIZE_NONE:  # ask again for every reason
                    problems = Chem.DetectChemistryProblems(
                        Chem.MolFromSmiles(smiles, sanitize=False)
                    ) or [_Problem(f"sanitization failed at {failed}")]
        if was_off:
            rdBase.DisableLog("rdApp.error")
    return mol, [p.Message() for p in problems], _clean_log(buf.getvalue(), smiles)


class _Problem:
    def __init__(self, message: str) -> None:
        self.message = message

    def Message(self) -> str:  # noqa: N802 (RDKit's name)
        return self.message


def parse_smiles(smiles: str):
    """A sanitized RDKit ``Mol`` or :class:`SmilesError` with RDKit's reason."""
    if not isinstance(smiles, str):
        raise SmilesError(f"a SMILES must be text, got {type(smiles).__name__}")
    text = smiles.strip()
    if not text:
        raise SmilesError("the SMILES is empty (RDKit would read it as a molecule with no atoms)")
    if any(c.isspace() for c in text):
        raise SmilesError(
            f"the SMILES {text!r} contains whitespace; RDKit would read the text after it as a "
            "name; write one SMILES with no spaces and no other text"
        )
    mol, problems, log = _parse_captured(text)
    if mol is None:
        raise SmilesError(f"RDKit cannot parse {text!r}: {log or 'invalid SMILES syntax'}")
    if problems:
        why = "; ".join(" ".join(p.split()) for p in problems[:3])
        raise SmilesError(f"RDKit cannot sanitize {text!r}: {why}")
    if mol.GetNumAtoms() == 0:
        raise SmilesError("the SMILES has no atoms")
    return mol


def unspecified_stereo(mol) -> list[str]:
    """Stereocentres and double bonds whose configuration the SMILES leaves open."""
    from rdkit import Chem

    notes = []
    for info in Chem.FindPotentialStereo(mol):
        if info.specified != Chem.StereoSpecified.Unspecified:
            continue
        if info.type == Chem.StereoType.Atom_Tetrahedral:
            atom = mol.GetAtomWithIdx(info.centeredOn)
            notes.append(f"atom {info.centeredOn} ({atom.GetSymbol()}) is a stereocentre")
        elif info.type == Chem.StereoType.Bond_Double:
            notes.append(f"double bond {info.centeredOn} has unspecified E/Z geometry")
    return notes


def check_molecule(
    smiles: str, max_heavy_atoms: int = MAX_HEAVY_ATOMS, min_heavy_atoms: int = 2
) -> Molecule:
    """Parse, sanitize and check a SMILES for drug design and docking; raise SmilesError."""
    from rdkit import Chem

    mol = parse_smiles(smiles)
    fragments = Chem.GetMolFrags(mol, asMols=True)
    if len(fragments) > 1:
        parts = ", ".join(Chem.MolToSmiles(f) for f in fragments[:4])
        raise SmilesError(
            f"the SMILES has {len(fragments)} separate fragments ({parts}), e.g. a salt or a "
            "mixture; write a single connected molecule without '.'"
        )
    bad = sorted({a.GetSymbol() for a in mol.GetAtoms()} - VINA_ELEMENTS)
    if bad:
        raise SmilesError(
            f"the molecule contains {', '.join(bad)}, which docking (AutoDock Vina) cannot "
            f"handle; use only {', '.join(sorted(VINA_ELEMENTS))}"
        )
    heavy = mol.GetNumHeavyAtoms()
    if heavy > max_heavy_atoms:
        raise SmilesError(
            f"the molecule has {heavy} heavy atoms, more than the limit of {max_heavy_atoms}; "
            "drug-like molecules usually have 20 to 40"
        )
    if heavy < min_heavy_atoms:
        raise SmilesError(f"the molecule has only {heavy} heavy atom(s); it is too small")
    warnings = [
        f"unspecified stereo: {note}; docking will pick one configuration"
        for note in unspecified_stereo(mol)
    ]
    return Molecule(mol, Chem.MolToSmiles(mol), warnings)


def canonical_smiles(smiles: str) -> str:
    """RDKit's canonical SMILES of a valid molecule (raises SmilesError otherwise)."""
    from rdkit import Chem

    return Chem.MolToSmiles(parse_smiles(smiles))
