"""Text of the molecule loss: how numbers are rendered and the feedback hints (data, not logic)."""

HEADER = "Evaluation of the molecule {smiles}{canonical_note}:"
CANONICAL_NOTE = " (canonical SMILES {canonical})"

INVALID = (
    "The molecule {smiles!r} is not valid, so it could not be scored: {error}. "
    "Write one valid SMILES string of a single, neutral, drug-like organic molecule."
)

QED = (
    "- Drug-likeness (RDKit QED): {qed:.3f} on a scale from 0 to 1; higher is better, and "
    "approved oral drugs are usually above 0.6."
)
VINA = (
    "- Docking score against {target} (AutoDock Vina): {vina:.2f} kcal/mol; lower (more "
    "negative) means stronger predicted binding."
)
VINA_FAILED = "- Docking against {target} failed: {error}."
REFERENCE_LINE = (
    "- Approved drugs for {target}: {items}. Mean Vina {mean_vina:.2f} kcal/mol, mean QED "
    "{mean_qed:.2f}. This molecule's Vina score is {delta:.2f} kcal/mol {direction} the mean."
)
REFERENCE_ITEM = "{name} (Vina {vina:.2f}, QED {qed:.2f})"
LIPINSKI = (
    "- Lipinski's rule of five: {violations} violation(s) (molecular weight {mol_weight:.0f} Da, "
    "logP {logp:.1f}, {h_donors} H-bond donors, {h_acceptors} H-bond acceptors){broken}; "
    "oral drugs usually have at most one."
)
SA = (
    "- Synthetic accessibility (SA score): {sa:.2f} from 1 (easy to make) to 10 (very hard); "
    "below 4 is usually practical."
)
WARNING = "- Note: {warning}."
OBJECTIVE = (
    "- Combined objective (QED - Vina/10, higher is better): {objective:.3f}."
)
GOAL_QED = (
    "Goal: increase QED while keeping the molecule valid, drug-like and easy to synthesize."
)
OBJECTIVE_QED = "- Objective (QED alone, no docking target): {objective:.3f}."
GOAL = (
    "Goal: increase QED and make the Vina score more negative, while keeping the molecule "
    "valid, drug-like and easy to synthesize."
)

# Rule-based hints added to the feedback in "tool" mode (no language model involved).
HINT_SMALL = (
    "The molecule is small ({heavy} heavy atoms); drug-sized molecules (20 to 35 heavy atoms) "
    "with aromatic rings and a basic nitrogen usually dock better."
)
HINT_LARGE = "The molecule is large ({heavy} heavy atoms); remove groups to raise QED."
HINT_LOGP = "logP is {logp:.1f}; add polar groups (OH, NH, amide) to lower it below 5."
HINT_POLAR = "logP is {logp:.1f}; replace a polar group by an aromatic or alkyl one."
HINT_SA = "The SA score {sa:.1f} is high; simplify ring systems and remove stereocentres."
HINT_QED = "QED {qed:.2f} is low; aim for molecular weight 250-450 Da and fewer rotatable bonds."
HINT_KEEP = "The molecule already scores well; make one small change and keep the scaffold."
HINT_INVALID = (
    "Change the previous valid molecule by one small edit (add or replace one atom or group) "
    "and check that rings are closed and brackets are balanced."
)

OUTPUT_ROLE = "evaluation of the molecule by chemistry tools (QED, Vina docking, Lipinski, SA)"

ANALOGUES = "Candidate small changes (copy one, or make a similar change):"
ANALOGUE = "<SMILES>{smiles}</SMILES> ({change})"
