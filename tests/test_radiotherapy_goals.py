"""Clinical goals: evaluation against a NumPy reference, text rendering, the plan-goal loss."""

from __future__ import annotations

import json

import numpy as np
import pytest
from textgrad_sci.domains.radiotherapy import (
    GOAL_SETS,
    goal_set_json,
    load_case,
    load_goals,
    make_loss,
)
from textgrad_sci.domains.radiotherapy.goals import goals_source
from textgrad_sci.domains.radiotherapy.plan import initial_plan
from textgrad_sci.losses.plan_goals import (
    Goal,
    evaluate_goals,
    goal_score,
    goals_from_json,
    render_goals,
)

from textgrad_sci import ScriptedEngine, Variable


def _dose_and_masks():
    # PTV: 100 voxels with doses 60.5, 61.5, ..., 79.5 Gy (5 each); OAR: 0.5 ... 99.5 Gy.
    dose = np.concatenate([np.repeat(np.arange(60.5, 80, 1.0), 5), np.arange(0.5, 100, 1.0)])
    ptv = np.zeros(dose.size, bool)
    ptv[:100] = True
    return dose, {"PTV": ptv, "OAR": ~ptv}


def test_goal_metrics_match_numpy_reference():
    dose, masks = _dose_and_masks()
    goals = [Goal("PTV", "D95", ">=", 60), Goal("OAR", "V70", "<=", 20),
             Goal("OAR", "mean", "<=", 40), Goal("PTV", "max", "<=", 77),
             Goal("OAR", "V50Gy", "<=", 60)]
    results = evaluate_goals(dose, masks, goals)
    ptv, oar = dose[masks["PTV"]], dose[masks["OAR"]]
    assert results[0].actual == pytest.approx(np.percentile(ptv, 5), abs=1.0)
    assert results[1].actual == pytest.approx(100 * np.mean(oar >= 70), abs=1.0)
    assert results[2].actual == pytest.approx(oar.mean())
    assert results[3].actual == pytest.approx(ptv.max())
    assert [r.met for r in results] == [True, False, False, False, True]
    assert results[1].margin == pytest.approx(20 - results[1].actual)
    assert goal_score(results) > 3 > goal_score(results[:1]) == 0.0


def test_rendering_says_met_and_missed_with_margins():
    dose, masks = _dose_and_masks()
    goals = [Goal("PTV", "D95", ">=", 70), Goal("OAR", "V70", "<=", 40)]
    results = evaluate_goals(dose, masks, goals)
    text = render_goals(results)
    lines = text.splitlines()
    assert lines[0].startswith("MISSED  PTV D95:") and "goal >= 70.0 Gy (misses by" in lines[0]
    assert lines[1].startswith("met     OAR V70Gy:") and "% (margin 10.0 %)" in lines[1]


def test_goal_parsing_errors_and_prescription_percentages():
    assert Goal.from_dict({"structure": "PTV", "metric": "max", "op": "<=", "value": "107%"},
                          70.0).value == pytest.approx(74.9)
    with pytest.raises(ValueError, match="metric 'D95%'"):
        Goal("PTV", "D95%", ">=", 70)
    with pytest.raises(ValueError, match="operator"):
        Goal("PTV", "D95", ">", 70)
    with pytest.raises(ValueError, match="goal 2: .*missing"):
        goals_from_json(json.dumps([{"structure": "PTV", "metric": "D95", "op": ">=", "value": 1},
                                    {"structure": "PTV"}]))
    with pytest.raises(ValueError, match="non-empty JSON list"):
        goals_from_json("{}")


def test_builtin_goal_sets_follow_their_protocols():
    prostate = load_goals("prostate", 70.2)  # PortPy's Prostate_26_Fx: 70.2 Gy in 26 x 2.7 Gy
    labels = {g.label: (g.op, round(g.value, 2)) for g in prostate}
    assert labels["PTV D95"] == (">=", 70.2)
    assert labels["PTV max"] == ("<=", 77.22)  # 110 %
    assert labels["RECTUM max"] == ("<=", 71.6) and labels["RECTUM mean"] == ("<=", 24.57)
    assert labels["RECTUM D25"] == ("<=", 40.72)
    assert labels["BLADDER max"] == ("<=", 75.11) and labels["BLADDER D10"] == ("<=", 65.99)
    assert labels["BLADDER D50"] == ("<=", 32.29)
    assert labels["FEMUR_L max"] == labels["FEMUR_R max"] == ("<=", 54.76)  # 78 %
    assert len(prostate) == 10
    assert "Prostate_26_Fx" in json.loads(goal_set_json("prostate"))["source"]
    assert load_case("prostate", 10.0).prescription_gy == 70.2
    tg119 = {g.label: (g.op, g.value) for g in load_goals("tg119", 50.0)}
    assert tg119["PTV D95"] == (">=", 50) and tg119["CORE D10"] == ("<=", 25)
    assert "TG-119" in json.loads(goal_set_json("tg119"))["source"]
    assert set(GOAL_SETS) == {"prostate", "tg119", "tg119-matrad"}
    matrad = {g.label: (g.op, g.value) for g in load_goals("tg119-matrad", 50.0)}
    assert matrad == {"OuterTarget D95": (">=", 50), "OuterTarget D10": ("<=", 55),
                      "Core D10": ("<=", 25)}
    assert goals_source(None, "/data/TG119.mat") == "tg119-matrad"
    assert goals_source("mine.json", "/data/TG119.mat") == "mine.json"
    with pytest.raises(ValueError, match="has no built-in goals: pass --goals"):
        goals_source(None, "/data/Liver.mat")


def test_unknown_structure_in_goals_is_one_clear_error(tmp_path):
    path = tmp_path / "goals.json"
    path.write_text(json.dumps([{"structure": "PTV", "metric": "D95", "op": ">=", "value": 50},
                                {"structure": "LIVER", "metric": "mean", "op": "<=", "value": 9}]))
    structures = load_case("tg119", 12.0).structures
    with pytest.raises(ValueError, match=r"goal 2 \(LIVER mean\): structure 'LIVER' is not in "
                                         r"the case \(structures: \['BODY', 'CORE', 'PTV'\]\)"):
        load_goals(path, 50.0, structures)
    assert len(load_goals("tg119", 50.0, structures)) == 3


def test_user_goal_file(tmp_path):
    path = tmp_path / "goals.json"
    path.write_text(json.dumps({"goals": [{"structure": "PTV", "metric": "D98", "op": ">=",
                                           "value": "95%"}]}))
    (goal,) = load_goals(path, 60.0)
    assert goal.value == pytest.approx(57.0)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_goals(path, 60.0)


@pytest.fixture(scope="module")
def tg119_loss():
    case = load_case("tg119", 12.0)
    return make_loss(case, load_goals("tg119", case.prescription_gy), fmo_iterations=60)


def test_loss_forward_renders_goals_and_attaches_numbers(tg119_loss):
    plan = Variable(initial_plan(tg119_loss.case), "plan", requires_grad=True)
    loss = tg119_loss(plan)
    assert loss.value.startswith("Treatment plan for case tg119_cshape:")
    assert "PTV D95" in loss.value and "CORE D10" in loss.value
    data = loss.data
    assert data["goals_total"] == 3 and 0 <= data["goals_met"] <= 3
    assert set(data["margins"]) == {"PTV D95", "PTV D10", "CORE D10"}
    assert data["fmo"]["iterations"] > 0 and data["error"] is None
    loss.backward(ScriptedEngine("unused"))
    feedback = plan.get_gradient_text()
    assert "Clinical goal evaluation" in feedback and "What to change" in feedback
    # Cached by plan text: the second evaluation is the same object.
    assert tg119_loss.evaluate(plan.value) is tg119_loss.evaluate(plan.value)


def test_loss_renders_failures_as_text_and_never_raises(tg119_loss):
    text = '{"objectives": [{"structure": "LIVER", "kind": "eud", "dose_gy": 1, "weight": 1}]}'
    plan = Variable(text, "plan", requires_grad=True)
    loss = tg119_loss(plan)
    assert "could not be evaluated" in loss.value and "LIVER" in loss.value
    assert loss.data["error"] and loss.data["score"] > 100
    loss.backward(ScriptedEngine("unused"))
    assert "could not be evaluated" in plan.get_gradient_text()


def test_critic_adds_the_engines_advice(tg119_loss):
    from textgrad_sci.losses.plan_goals import PlanGoalLoss

    critic = PlanGoalLoss(tg119_loss.case, tg119_loss.goals, tg119_loss.objectives_fn,
                          influence=tg119_loss.influence, fmo_iterations=60, critic=True)
    plan = Variable(initial_plan(critic.case), "plan", requires_grad=True)
    engine = ScriptedEngine("Raise the PTV underdose dose level to 51 Gy.")
    critic(plan).backward(engine)
    assert "Planner's advice:\nRaise the PTV underdose" in plan.get_gradient_text()
    assert "<EVALUATION>" in engine.requests[0].messages[-1][1]


def test_goals_naming_missing_structures_are_rejected(tg119_loss):
    with pytest.raises(ValueError, match="RECTUM"):
        make_loss(tg119_loss.case, [Goal("RECTUM", "V70", "<=", 20)])


def test_hints_propose_concrete_changes_to_the_objectives():
    from textgrad_sci.losses.dose import Objective
    from textgrad_sci.losses.plan_goals import GoalResult, goal_hints

    objectives = [Objective("PTV", "squared_underdose", 70, 10),
                  Objective("PTV", "squared_overdose", 72, 4),
                  Objective("OAR", "max_dose", 40, 5), Objective("FEMUR", "max_dose", 30, 8)]
    cold = GoalResult(Goal("PTV", "D95", ">=", 70), 66.0, -4.0)
    hot = GoalResult(Goal("PTV", "max", "<=", 75), 78.0, -3.0)
    hot_oar = GoalResult(Goal("OAR", "V50", "<=", 20), 35.0, -15.0)
    spare = GoalResult(Goal("FEMUR", "max", "<=", 50), 20.0, 30.0)
    text = goal_hints([cold, hot, hot_oar, spare], objectives, "PTV")
    assert ("PTV D95 is missed (target underdosed): push more dose into PTV, e.g. "
            "squared_underdose weight 10 -> 20; squared_underdose dose_gy 70 -> 71.") in text
    assert "PTV max is missed (hot spot in the target)" in text
    assert "squared_overdose weight 4 -> 8" in text
    assert "OAR V50Gy is missed (organ at risk overdosed)" in text
    assert "max_dose weight 5 -> 10" in text
    assert "FEMUR meets its goals with room to spare" in text and "weight 8 -> 4" in text
    assert "Every goal is met" in goal_hints([spare], objectives, "PTV")
    lonely = goal_hints([GoalResult(Goal("BLADDER", "max", "<=", 10), 20.0, -10.0)], objectives,
                        "PTV")
    assert "has no objective on BLADDER" in lonely
