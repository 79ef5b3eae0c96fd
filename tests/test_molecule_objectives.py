"""DOCKSTRING's benchmark objectives and the reference drugs of every target they dock against."""

import pytest
from rdkit import Chem
from textgrad_sci.losses.chem.objectives import (
    OBJECTIVES,
    WORST,
    get_objective,
    score_objective,
)
from textgrad_sci.losses.chem.references import reference_drugs
from textgrad_sci.losses.chem.targets import load_target


def test_formulas_match_dockstring_on_fixed_vina_scores():
    qed = 0.6  # penalty 10 * (1 - 0.6) = 4
    assert get_objective("F2").value({"F2": -8.5}, qed) == pytest.approx(-4.5)
    ppar = {"PPARA": -9.0, "PPARD": -7.5, "PPARG": -10.0}
    assert get_objective("promiscuous_PPAR").value(ppar, qed) == pytest.approx(-3.5)
    jak2 = get_objective("selective_JAK2")
    # LCK binds weakly (-6 > -8.1): no selectivity term; binds strongly: the term is subtracted
    assert jak2.value({"JAK2": -9.0, "LCK": -6.0}, qed) == pytest.approx(-5.0)
    assert jak2.value({"JAK2": -9.0, "LCK": -10.0}, qed) == pytest.approx(-9.0 + 1.9 + 4.0)
    assert get_objective("qed-vina").value({"DRD2": -7.0}, 0.5) == pytest.approx(-1.2)
    assert set(OBJECTIVES) == {"F2", "promiscuous_PPAR", "selective_JAK2", "qed-vina"}


def test_unknown_objective_and_invalid_molecule_get_a_reason():
    with pytest.raises(ValueError, match="unknown objective 'F3'.*F2, promiscuous_PPAR"):
        get_objective("F3")
    score = score_objective("C1CC", "F2", service=None)  # never docked: it does not parse
    assert score.value == WORST and "cannot parse" in score.error and score.vina == {}


@pytest.mark.parametrize("target", sorted({t for o in OBJECTIVES.values() for t in o.targets}))
def test_every_objective_target_has_valid_reference_drugs(target):
    load_target(target)
    drugs = reference_drugs(target)
    assert len(drugs) >= 2
    for drug in drugs:
        assert Chem.MolFromSmiles(drug.smiles) is not None, drug.name
