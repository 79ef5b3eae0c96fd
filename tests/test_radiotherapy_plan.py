"""The plan variable: schema rejection with clear errors, canonical layout, output format."""

from __future__ import annotations

import json

import numpy as np
import pytest
from textgrad_sci.domains.radiotherapy.plan import (
    PlanError,
    PlanFormat,
    PlanSchema,
    dump_plan,
    example_plan,
    initial_plan,
    plan_variable,
    template_grammar,
)
from textgrad_sci.losses.dose import Case

from textgrad_sci import TGD, ScriptedEngine, Variable
from textgrad_sci.formats import FormatError

SCHEMA = PlanSchema(("PTV", "RECTUM", "BODY"), 105.0, "PTV")
GOOD = [
    {"structure": "PTV", "kind": "squared_underdose", "dose_gy": 70, "weight": 100},
    {"structure": "RECTUM", "kind": "dvh_max", "dose_gy": 50, "weight": 10, "volume_pct": 30},
    {"structure": "RECTUM", "kind": "eud", "dose_gy": 40, "weight": 5, "eud_a": 8},
]


def plan_with(**changes) -> str:
    objectives = [dict(o) for o in GOOD]
    objectives[1].update(changes)
    return json.dumps({"objectives": objectives})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (plan_with(weight=-1), "objective 2 weight = -1 is out of bounds [0, 1000]"),
        (plan_with(weight=1e6), "out of bounds"),
        (plan_with(structure="LIVER"), "unknown structure 'LIVER'"),
        (plan_with(kind="min_dose"), "unknown kind 'min_dose'"),
        (plan_with(dose_gy=float("nan")), "dose_gy must be a finite number"),
        (plan_with(dose_gy=float("inf")), "finite"),
        (plan_with(dose_gy=200), "dose_gy = 200 is out of bounds [0, 105]"),
        (plan_with(dose_gy="fifty"), 'dose_gy must be a number, got "fifty"'),
        (plan_with(weight=True), "weight must be a number"),
        (plan_with(volume_pct=150), "volume_pct = 150 is out of bounds"),
        (plan_with(volume_pct=None), 'needs "volume_pct"'),
        (plan_with(colour="red"), "unknown field(s) ['colour']"),
        ('{"objectives": []}', "non-empty list"),
        ('{"plan": []}', '"objectives" list'),
        ("{'objectives': }", "not valid JSON"),
        (json.dumps({"objectives": GOOD[1:]}), "needs an objective with weight > 0 on the target"),
    ],
)
def test_schema_rejects_bad_plans_with_clear_errors(text, message):
    with pytest.raises(PlanError) as err:
        SCHEMA.parse(text)
    assert message in str(err.value)
    assert SCHEMA.validate(text) == str(err.value)


def test_nan_written_by_a_model_is_rejected():
    # Python's json accepts the NaN literal; the schema must not.
    text = plan_with().replace('"dose_gy": 50', '"dose_gy": NaN')
    assert "finite" in SCHEMA.validate(text)


def test_valid_plan_canonical_and_objectives():
    text = plan_with()
    assert SCHEMA.validate(text) is None
    canonical = SCHEMA.canonical(text)
    assert canonical.count("\n") == 4  # one objective per line
    assert SCHEMA.parse(canonical) == SCHEMA.parse(text)
    objectives = SCHEMA.objectives(text)
    assert objectives[1].volume_pct == 30 and objectives[2].eud_a == 8
    schema = SCHEMA.json_schema()
    item = schema["properties"]["objectives"]["items"]
    assert item["properties"]["structure"]["enum"] == ["PTV", "RECTUM", "BODY"]
    assert item["properties"]["weight"]["minimum"] == 0


def test_template_grammar_compiles_and_matches_the_plan_layout():
    from llama_cpp import LlamaGrammar

    grammar = template_grammar(GOOD)
    LlamaGrammar.from_string(grammar, verbose=False)  # raises on a malformed grammar
    assert '\\"volume_pct\\": ' in grammar and '\\"eud_a\\": ' in grammar
    assert "num ::=" in grammar


def test_plan_format_parses_fenced_json_and_explains_garbage():
    fmt = PlanFormat.for_plan(SCHEMA, plan_with())
    spec = fmt.spec()
    assert spec.json_schema and spec.grammar
    assert fmt.parse("```json\n" + plan_with(weight=20) + "\n```") == dump_plan(
        SCHEMA.parse(plan_with(weight=20))
    )
    with pytest.raises(FormatError, match="did not contain a JSON plan"):
        fmt.parse("increase the rectum weight")
    with pytest.raises(FormatError, match="not valid JSON"):
        fmt.parse('{"objectives": [1,}')


def _tiny_case() -> Case:
    d = np.ones((4, 6, 6), dtype=np.float32)
    ptv = np.zeros(d.shape, bool)
    ptv[1:3, 2:4, 2:4] = True
    rect = np.zeros(d.shape, bool)
    rect[1:3, 4, 2:4] = True
    return Case("tiny", d, (5, 5, 5), {"PTV": ptv, "RECTUM": rect, "BODY": d > 0}, "PTV", 60)


def test_initial_and_example_plans_are_valid_for_the_case():
    case = _tiny_case()
    schema = PlanSchema.for_case(case)
    assert schema.max_dose_gy == 90
    for text in (initial_plan(case), example_plan(case)):
        assert schema.validate(text) is None
        assert {o["structure"] for o in schema.parse(text)} == {"PTV", "RECTUM"}


def test_invalid_proposal_goes_back_to_the_model_through_the_validator():
    case = _tiny_case()
    plan = plan_variable(case, initial_plan(case))
    bad = plan.value.replace('"weight": 10', '"weight": -3', 1)
    good = plan.value.replace('"weight": 10', '"weight": 30', 1)
    engine = ScriptedEngine([bad, good])
    plan.add_gradient(Variable("raise the target weight", "feedback", False))
    report = TGD([plan], engine=engine).step()[0]
    assert report.accepted and report.attempts == 2
    assert "weight = -3 is out of bounds" in report.errors[0]
    assert '"weight": 30' in plan.value
    # The retry message showed the model the validator's reason.
    retry = engine.requests[1].messages[-1][1]
    assert "out of bounds" in retry
    # The structured output request carried both the JSON schema and the grammar.
    assert engine.requests[0].output.json_schema and engine.requests[0].output.grammar
