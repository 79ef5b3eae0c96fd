"""The SMILES variable: a validator with model-readable reasons and a grammar for its updates."""

from __future__ import annotations

from textgrad_sci.losses.chem.smiles import MAX_HEAVY_ATOMS, SmilesError, check_molecule

from textgrad_sci.formats import TagFormat
from textgrad_sci.variable import Variable

from . import molecule_prompts as prompts

# GBNF for one SMILES of Vina-typable organic atoms: no '.', no spaces, at most 80 tokens.
SMILES_GBNF = "tok{1,80}"
SMILES_RULES = (
    'tok ::= "Cl" | "Br" | [CNOSPFIcnosp] | [1-9] | "%" [1-9] [0-9] | [()=#/\\\\] | bracket\n'
    'bracket ::= "[" ( [CNOSPcnosp] | "nH" ) ( "@" "@"? )? ( "H" [1-3]? )? ( [+-] [1-2]? )? "]"'
)
SMILES_TAG = "SMILES"


def smiles_format(tag: str = SMILES_TAG) -> TagFormat:
    """Tags around one SMILES; engines with grammars can only write SMILES characters inside."""
    return TagFormat(tag=tag, body_gbnf=f"{SMILES_GBNF}\n{SMILES_RULES}")


def smiles_validator(max_heavy_atoms: int = MAX_HEAVY_ATOMS, current: Variable | None = None):
    """A ``Variable`` validator: None for a usable molecule, else the reason (RDKit's words).
    With ``current``, a proposal that is the same molecule as its value is rejected too."""

    def validate(value: str) -> str | None:
        try:
            molecule = check_molecule(value, max_heavy_atoms=max_heavy_atoms)
        except SmilesError as err:
            return str(err)
        if current is not None and molecule.canonical == _canonical_or_none(current.value):
            return prompts.SAME_MOLECULE
        return None

    return validate


def _canonical_or_none(smiles: str) -> str | None:
    try:
        return check_molecule(smiles, max_heavy_atoms=10**6).canonical
    except SmilesError:
        return None


def smiles_variable(
    smiles: str,
    name: str | None = None,
    role_description: str = prompts.ROLE,
    max_heavy_atoms: int = MAX_HEAVY_ATOMS,
    check: bool = True,
    require_change: bool = True,
) -> Variable:
    """A trainable SMILES variable. ``check`` rejects an unusable starting molecule up front;
    ``require_change`` makes the optimizer retry when the model proposes the same molecule."""
    if check:
        reason = smiles_validator(max_heavy_atoms)(smiles)
        if reason is not None:
            raise ValueError(f"invalid starting molecule: {reason}")
    variable = Variable(
        smiles.strip(), role_description, requires_grad=True, name=name,
        output_format=smiles_format(),
    )
    variable.validator = smiles_validator(max_heavy_atoms, variable if require_change else None)
    return variable
