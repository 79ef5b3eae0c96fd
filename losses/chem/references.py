"""Approved drugs per DOCKSTRING target: the yardstick a new molecule's scores are compared to.

A small curated set (names and SMILES from the drugs' labels), docked once per target with the
run's settings and cached like every other dock. Targets not listed have no references.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReferenceDrug:
    name: str
    smiles: str


_DRUGS = {
    "haloperidol": "O=C(CCCN1CCC(O)(CC1)c1ccc(Cl)cc1)c1ccc(F)cc1",
    "risperidone": "Cc1nc2n(c(=O)c1CCN1CCC(CC1)c1noc3cc(F)ccc13)CCCC2",
    "olanzapine": "CN1CCN(CC1)C1=Nc2ccccc2Nc2sc(C)cc12",
    "aripiprazole": "Clc1cccc(N2CCN(CCCCOc3ccc4CCC(=O)Nc4c3)CC2)c1Cl",
    "tamoxifen": "CC/C(=C(\\c1ccccc1)c1ccc(OCCN(C)C)cc1)c1ccccc1",
    "raloxifene": "Oc1ccc(cc1)-c1sc2cc(O)ccc2c1C(=O)c1ccc(OCCN2CCCCC2)cc1",
    "estradiol": "C[C@]12CC[C@H]3[C@@H](CCc4cc(O)ccc34)[C@@H]1CC[C@@H]2O",
    "gefitinib": "COc1cc2ncnc(Nc3ccc(F)c(Cl)c3)c2cc1OCCCN1CCOCC1",
    "erlotinib": "COCCOc1cc2ncnc(Nc3cccc(c3)C#C)c2cc1OCCOC",
    "donepezil": "COc1cc2CC(CC3CCN(Cc4ccccc4)CC3)C(=O)c2cc1OC",
    "galantamine": "CN1CC[C@@]23C=C[C@H](O)C[C@@H]2Oc2c3c(C1)ccc2OC",
    "olaparib": "O=C(c1cc(Cc2n[nH]c(=O)c3ccccc23)ccc1F)N1CCN(CC1)C(=O)C1CC1",
    "niraparib": "NC(=O)c1cccc2cn(nc12)-c1ccc(cc1)[C@@H]1CCCNC1",
    "ruxolitinib": "N#CC[C@H](C1CCCC1)n1cc(cn1)-c1ncnc2[nH]ccc12",
    "tofacitinib": "C[C@@H]1CCN(C[C@@H]1N(C)c1ncnc2[nH]ccc12)C(=O)CC#N",
    "imatinib": "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(n1)-c1cccnc1",
    "dasatinib": "Cc1nc(Nc2ncc(s2)C(=O)Nc2c(C)cccc2Cl)cc(n1)N1CCN(CCO)CC1",
    "sunitinib": "CCN(CC)CCNC(=O)c1c(C)[nH]c(/C=C2\\C(=O)Nc3ccc(F)cc23)c1C",
    "propranolol": "CC(C)NCC(O)COc1cccc2ccccc12",
    "metoprolol": "COCCc1ccc(OCC(O)CNC(C)C)cc1",
    "celecoxib": "Cc1ccc(cc1)-c1cc(nn1-c1ccc(cc1)S(N)(=O)=O)C(F)(F)F",
    "dabigatran": "Cn1c(CNc2ccc(cc2)C(=N)N)nc2cc(ccc12)C(=O)N(CCC(=O)O)c1ccccn1",
    "argatroban": "CC1CCN(C(C1)C(=O)O)C(=O)C(CCCN=C(N)N)NS(=O)(=O)c1cccc2CC(C)CNc12",
    "fenofibric acid": "CC(C)(Oc1ccc(cc1)C(=O)c1ccc(Cl)cc1)C(=O)O",
    "gemfibrozil": "Cc1ccc(C)c(OCCCC(C)(C)C(=O)O)c1",
    "bezafibrate": "CC(C)(Oc1ccc(CCNC(=O)c2ccc(Cl)cc2)cc1)C(=O)O",
    "elafibranor": "CSc1ccc(cc1)C(=O)/C=C/c1cc(C)c(OC(C)(C)C(=O)O)c(C)c1",
    "pioglitazone": "CCc1ccc(CCOc2ccc(CC3SC(=O)NC3=O)cc2)nc1",
    "rosiglitazone": "CN(CCOc1ccc(CC2SC(=O)NC2=O)cc1)c1ccccn1",
    "fedratinib": "Cc1cnc(Nc2ccc(OCCN3CCCC3)cc2)nc1Nc1cccc(c1)S(=O)(=O)NC(C)(C)C",
    "bosutinib": "COc1cc(Nc2c(C#N)cnc3cc(OCCCN4CCN(C)CC4)c(OC)cc23)c(Cl)cc1Cl",
}

_BY_TARGET = {
    "DRD2": ["haloperidol", "risperidone", "olanzapine"],
    "DRD3": ["haloperidol", "aripiprazole"],
    "ESR1": ["tamoxifen", "raloxifene", "estradiol"],
    "ESR2": ["estradiol", "raloxifene"],
    "EGFR": ["gefitinib", "erlotinib"],
    "ACHE": ["donepezil", "galantamine"],
    "PARP1": ["olaparib", "niraparib"],
    "JAK2": ["ruxolitinib", "tofacitinib", "fedratinib"],
    "F2": ["dabigatran", "argatroban"],
    "PPARA": ["fenofibric acid", "gemfibrozil"],
    "PPARD": ["elafibranor", "bezafibrate"],
    "PPARG": ["pioglitazone", "rosiglitazone"],
    "LCK": ["dasatinib", "bosutinib"],
    "ABL1": ["imatinib", "dasatinib"],
    "KIT": ["imatinib", "sunitinib"],
    "SRC": ["dasatinib"],
    "KDR": ["sunitinib"],
    "ADRB1": ["metoprolol", "propranolol"],
    "ADRB2": ["propranolol"],
    "PTGS2": ["celecoxib"],
}


def reference_drugs(target: str) -> list[ReferenceDrug]:
    """The reference drugs of ``target`` (empty when none are curated for it)."""
    return [ReferenceDrug(n, _DRUGS[n]) for n in _BY_TARGET.get(target.upper(), [])]


def targets_with_references() -> list[str]:
    return sorted(_BY_TARGET)
