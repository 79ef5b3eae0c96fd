"""SMILES validation (every bad-input case), properties of known drugs, and the grammar."""

from __future__ import annotations

import pytest
from molecule_support import ASPIRIN, IBUPROFEN
from textgrad_sci.domains.molecule import smiles_validator, smiles_variable
from textgrad_sci.domains.molecule.validation import smiles_format
from textgrad_sci.losses.chem.properties import lipinski, properties, qed, sa_score
from textgrad_sci.losses.chem.smiles import SmilesError, canonical_smiles, check_molecule


@pytest.mark.parametrize(
    ("smiles", "reason"),
    [
        ("C1CC", "unclosed ring"),
        ("CC(C", "extra open parentheses"),
        ("Xx", "syntax error"),
        ("c1cccc1", "kekulize"),
        ("C(C)(C)(C)(C)C", "valence"),
        ("", "empty"),
        ("   ", "empty"),
        ("CCO ethanol", "whitespace"),
        ("[Na+].[Cl-]", "2 separate fragments"),
        ("CC(=O)[O-].[Na+]", "separate fragments"),
        ("OB(O)c1ccccc1", "contains B"),
        ("C[Se]C", "contains Se"),
        ("[Fe]", "contains Fe"),
        ("C" * 80, "80 heavy atoms"),
        ("C", "too small"),
    ],
)
def test_bad_smiles_rejected_with_reason(smiles, reason, capfd):
    with pytest.raises(SmilesError) as err:
        check_molecule(smiles)
    assert reason.lower() in str(err.value).lower()
    assert smiles_validator()(smiles) == str(err.value)
    out, errout = capfd.readouterr()
    assert "SMILES Parse Error" not in out + errout  # RDKit's log is captured, not printed


def test_reasons_survive_a_library_that_disables_rdkits_error_log():
    from rdkit import rdBase

    rdBase.DisableLog("rdApp.error")  # what mol-ga does when it is imported
    try:
        with pytest.raises(SmilesError, match="nclosed ring"):
            check_molecule("C1CC")
        assert "rdApp.error:disabled" in rdBase.LogStatus()  # left as it was found
    finally:
        rdBase.EnableLog("rdApp.error")


def test_valid_smiles_canonical_identity():
    m = check_molecule("OC(=O)c1ccccc1OC(C)=O")
    assert m.canonical == ASPIRIN == canonical_smiles(ASPIRIN)
    assert m.warnings == []
    assert smiles_validator()(ASPIRIN) is None


def test_unspecified_stereo_is_reported_not_rejected():
    m = check_molecule("CC(N)C(=O)O")
    assert any("stereocentre" in w for w in m.warnings)
    assert check_molecule("C[C@H](N)C(=O)O").warnings == []
    assert any("E/Z" in w for w in check_molecule("CC=CCC").warnings)


def test_qed_of_known_drugs():
    assert round(qed(check_molecule(ASPIRIN).mol), 3) == 0.550
    assert round(qed(check_molecule(IBUPROFEN).mol), 3) == 0.822


def test_lipinski_and_sa():
    aspirin = check_molecule(ASPIRIN).mol
    lip = lipinski(aspirin)
    assert (lip.h_donors, lip.h_acceptors, lip.violations) == (1, 3, 0)
    assert abs(lip.mol_weight - 180.16) < 0.01
    assert 1.0 < sa_score(aspirin) < 2.5
    big = check_molecule("CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC(=O)O").mol
    assert lipinski(big).violations >= 2 and "logP" in " ".join(lipinski(big).broken())
    assert set(properties(aspirin)) >= {"qed", "sa", "mol_weight", "violations"}


def test_smiles_variable_rejects_bad_start_and_same_molecule():
    with pytest.raises(ValueError, match="invalid starting molecule"):
        smiles_variable("CC(C")
    v = smiles_variable(ASPIRIN, name="m")
    assert v.validate("OC(=O)c1ccccc1OC(C)=O") is not None  # same molecule, other spelling
    assert "same molecule" in v.validate(ASPIRIN)
    assert v.validate(IBUPROFEN) is None
    assert "fragments" in v.validate("CCO.CCO")


def test_smiles_grammar_is_valid_gbnf_and_parses_tags():
    fmt = smiles_format()
    grammar = fmt.grammar()
    assert grammar.startswith('root ::= "<SMILES>" body "</SMILES>"')
    assert "tok ::=" in grammar and '"."' not in grammar
    assert fmt.parse("noise <SMILES>CCO</SMILES>") == "CCO"
    import llama_cpp

    assert llama_cpp.LlamaGrammar.from_string(grammar, verbose=False) is not None
