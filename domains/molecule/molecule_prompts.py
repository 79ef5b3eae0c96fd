"""Prompts of the molecule workflow (data, not logic)."""

ROLE = (
    "a drug candidate written as one SMILES string; it should bind the protein target strongly "
    "(low AutoDock Vina score) and be drug-like (high QED)"
)

CONSTRAINTS = [
    "Write exactly one SMILES string of one connected organic molecule (no '.', no spaces).",
    "Use only the elements C, N, O, S, P, F, Cl, Br, I.",
    "Make a small change to the current molecule: keep most of its scaffold.",
]

SAME_MOLECULE = (
    "it is the same molecule as the current one; change at least one atom, bond or group"
)
