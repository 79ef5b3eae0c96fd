"""Molecule optimization: SMILES variables improved against RDKit QED and AutoDock Vina."""

from .validation import SMILES_GBNF, smiles_validator, smiles_variable

__all__ = ["SMILES_GBNF", "smiles_validator", "smiles_variable"]
