"""Chemistry losses: RDKit QED, Lipinski, SA score, AutoDock Vina docking against DOCKSTRING
targets, reference drugs, and the combined molecule loss.

``load_target("DRD2").dock(smiles)`` docks one molecule; ``DockingService`` docks many (cached,
killable, on any executor); ``MoleculeLoss`` turns all scores into feedback text. Names are
imported lazily: the docking worker process loads this folder without the rest of textgrad_sci.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "load_target": "targets", "list_targets": "targets", "Target": "targets",
    "dock": "docking", "DockingService": "docking", "DockSettings": "docking",
    "DockResult": "docking", "check_molecule": "smiles", "SmilesError": "smiles",
    "canonical_smiles": "smiles", "qed": "properties", "lipinski": "properties",
    "sa_score": "properties", "reference_drugs": "references", "MoleculeLoss": "loss",
    "MoleculeScores": "loss", "score_molecule": "loss", "analogues": "edits",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
