"""Text of the objective feedback: the objective's parts, QED's costliest desirability terms and
the cheap effect of each candidate edit (data, not logic)."""

HEADER = "Molecule {smiles}: objective {objective} = {value:.3f} (lower is better; {formula})."
PART_QED = "- QED {qed:.3f}: its penalty 10*(1-QED) adds {penalty:.2f} to the objective."
PART_VINA = "- Vina against {target}: {vina:.2f} kcal/mol (more negative is better)."
PART_VINA_FAILED = "- Vina against {target}: failed."
FAILED = "The molecule got the worst value {value:.1f} because {error}."
TERMS = "QED terms costing the most (fix the first):"
TERM = "- {label} is {value:g} ({direction}): a perfect value would raise QED by {gain:.3f}."
TERMS_NONE = "Every QED term is near its best value."
EDITS = (
    "Candidate edits, with their cheap effect (RDKit, free; docking changes are unknown until "
    "scored). Copy the SMILES of the edit you choose:"
)
EDIT = ("{n}. <SMILES>{smiles}</SMILES> ({change}{site}): QED {dqed:+.3f}, logP {dlogp:+.2f}, "
        "MW {dmw:+.0f}, SA {dsa:+.2f}{best}")
SITE_BURIED = ", a buried atom: {n} protein atoms within 4 A"
SITE_EXPOSED = ", an atom in solvent"
BEST_QED = "  <- best for QED"
POSE = "Docked pose in {target}: touching the protein: {buried}; pointing into solvent: {exposed}."
BURIED = "{part} ({contacts} contacts)"
EXPOSED = "{part} ({exposed} of {size} atoms in solvent)"
NONE = "none"
POSE_HINT = ("Edits on atoms in solvent change QED with little effect on docking; edits on buried "
             "atoms change docking most (a larger group there may bind better, or clash).")
GOAL = "Pick the edit most likely to lower the objective: a higher QED or a stronger binder."

LABELS = {
    "MW": "molecular weight", "ALOGP": "logP", "HBA": "H-bond acceptors",
    "HBD": "H-bond donors", "PSA": "polar surface area", "ROTB": "rotatable bonds",
    "AROM": "aromatic rings", "ALERTS": "structural alerts",
}
