"""TGD: robust parsing, retries, validators, gating, gradient memory, resumable state."""

from __future__ import annotations

import pytest
from core_support import kind_of, responder

import textgrad_sci as tg
from textgrad_sci.formats import FormatError


def _param(value="x = 5", **kw) -> tg.Variable:
    p = tg.Variable(value, "answer to the question", name="answer", **kw)
    p.add_gradient("The answer is wrong: 2x = 8 gives x = 4.", source="loss")
    return p


def _updates(engine: tg.ScriptedEngine) -> list:
    return [r for r in engine.requests if kind_of(r) == "update"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<IMPROVED_VARIABLE>x = 4</IMPROVED_VARIABLE>", "x = 4"),
        ("Sure! Here it is:\n< improved_variable >\nx = 4\n</IMPROVED_VARIABLE> done", "x = 4"),
        (
            "<IMPROVED_VARIABLE>a</IMPROVED_VARIABLE> then "
            "<IMPROVED_VARIABLE>b</IMPROVED_VARIABLE>",
            "b",
        ),
    ],
)
def test_tag_format_parses_robustly(text, expected):
    assert tg.TagFormat().parse(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("x = 4", "did not contain"),
        ("<IMPROVED_VARIABLE>x = 4", "never closed"),
        ("<IMPROVED_VARIABLE>  </IMPROVED_VARIABLE>", "empty"),
    ],
)
def test_tag_format_errors_say_what_is_wrong(text, message):
    with pytest.raises(FormatError, match=message):
        tg.TagFormat().parse(text)


def test_json_format_parses_and_reports_errors():
    fmt = tg.JsonFormat()
    assert fmt.parse('```json\n{"improved_variable": "x = 4"}\n```') == "x = 4"
    assert fmt.spec().json_schema["required"] == ["improved_variable"]
    with pytest.raises(FormatError, match="not valid JSON"):
        fmt.parse('{"improved_variable": "x = 4"')
    with pytest.raises(FormatError, match='no "improved_variable" field'):
        fmt.parse('{"value": 1}')


def test_tag_format_declares_a_grammar_with_the_body_rule():
    grammar = tg.TagFormat("SMILES", body_gbnf="[A-Za-z0-9()=#]+").grammar()
    assert grammar.startswith('root ::= "<SMILES>" body "</SMILES>"')
    assert "body ::= [A-Za-z0-9()=#]+" in grammar


def test_step_updates_and_reports():
    engine = tg.ScriptedEngine(responder(update="<IMPROVED_VARIABLE>x = 4</IMPROVED_VARIABLE>"))
    p = _param()
    reports = tg.TGD([p], engine=engine).step()
    assert p.value == "x = 4"
    assert reports[0].accepted and reports[0].attempts == 1 and reports[0].old_value == "x = 5"
    prompt = _updates(engine)[0].messages[-1][1]
    assert "x = 5" in prompt and "2x = 8 gives x = 4" in prompt
    assert _updates(engine)[0].output.tag == "IMPROVED_VARIABLE"


def test_malformed_answer_is_sent_back_then_succeeds():
    answers = iter(["I think x is 4.", "<IMPROVED_VARIABLE>x = 4</IMPROVED_VARIABLE>"])
    engine = tg.ScriptedEngine(responder(update=lambda r: next(answers)))
    p = _param()
    report = tg.TGD([p], engine=engine).step()[0]
    assert p.value == "x = 4" and report.accepted and report.attempts == 2
    retry = _updates(engine)[1].message_dicts()
    assert retry[-2] == {"role": "assistant", "content": "I think x is 4."}
    assert "did not contain <IMPROVED_VARIABLE>" in retry[-1]["content"]


def test_malformed_output_never_raises_and_keeps_old_value():
    engine = tg.ScriptedEngine(responder(update="no tags at all"))
    p = _param()
    opt = tg.TGD([p], engine=engine, max_retries=2)
    report = opt.step()[0]
    assert p.value == "x = 5"
    assert not report.accepted and report.attempts == 3 and len(report.errors) == 3
    assert "kept the old value" in report.reason
    assert opt.history[-1][0] is report


def test_validator_rejection_is_retried_with_reason():
    answers = iter(
        [
            "<IMPROVED_VARIABLE>four</IMPROVED_VARIABLE>",
            "<IMPROVED_VARIABLE>x = 4</IMPROVED_VARIABLE>",
        ]
    )
    engine = tg.ScriptedEngine(responder(update=lambda r: next(answers)))

    def must_be_equation(value: str) -> str | None:
        return None if "=" in value else "an equation 'x = <number>' is required"

    p = _param(validator=must_be_equation)
    report = tg.TGD([p], engine=engine).step()[0]
    assert p.value == "x = 4" and report.attempts == 2
    assert "an equation 'x = <number>' is required" in _updates(engine)[1].messages[-1][1]


def test_validator_raising_valueerror_counts_as_rejection():
    def strict(value: str) -> None:
        raise ValueError("never acceptable")

    engine = tg.ScriptedEngine(responder())
    p = _param(validator=strict)
    report = tg.TGD([p], engine=engine, max_retries=1).step()[0]
    assert p.value == "x = 5" and not report.accepted
    assert report.errors == ["the value was rejected: never acceptable"] * 2


def test_acceptance_gating_reverts_worse_and_keeps_better():
    engine = tg.ScriptedEngine(
        responder(update="<IMPROVED_VARIABLE>longer value</IMPROVED_VARIABLE>")
    )
    p = _param("short")
    opt = tg.TGD([p], engine=engine, score_fn=len, minimize=True)
    report = opt.step()[0]
    assert p.value == "short" and not report.accepted
    assert report.score_before == 5 and report.score_after == 12 and "rejected" in report.reason

    p2 = _param("short")
    opt2 = tg.TGD([p2], engine=engine, score_fn=len, minimize=False)
    assert opt2.step()[0].accepted and p2.value == "longer value"


def test_gradient_memory_shows_past_feedback_and_survives_state_dict():
    engine = tg.ScriptedEngine(
        responder(
            update=lambda r: f"<IMPROVED_VARIABLE>v{len(engine.requests)}</IMPROVED_VARIABLE>"
        )
    )
    p = tg.Variable("v0", "draft", name="draft")
    opt = tg.TGD([p], engine=engine, gradient_memory=2)
    for i in range(3):
        opt.zero_grad()
        p.add_gradient(f"feedback number {i}", source="loss")
        opt.step()
    last_prompt = _updates(engine)[-1].messages[-1][1]
    assert "<PAST_ITERATIONS>" in last_prompt
    assert "feedback number 0" in last_prompt and "feedback number 1" in last_prompt
    first_prompt = _updates(engine)[0].messages[-1][1]
    assert "<PAST_ITERATIONS>" not in first_prompt

    restored = tg.TGD([p], engine=engine, gradient_memory=2)
    restored.load_state_dict(opt.state_dict())
    assert list(restored.memory["draft"]) == list(opt.memory["draft"])
    assert len(restored.memory["draft"]) == 2


def test_momentum_alias_returns_reports():
    engine = tg.ScriptedEngine(responder())
    p = _param()
    opt = tg.optimizer.TextualGradientDescentwithMomentum([p], engine=engine, momentum_window=2)
    assert opt.step()[0].accepted and opt.gradient_memory == 2


def test_constraints_examples_and_custom_tags_reach_the_prompt():
    engine = tg.ScriptedEngine(responder(update="<ANSWER>x = 4</ANSWER>"))
    p = _param()
    tg.TGD(
        [p],
        engine=engine,
        constraints=["End with a period."],
        in_context_examples=["x = 3"],
        new_variable_tags=["<ANSWER>", "</ANSWER>"],
    ).step()
    prompt = _updates(engine)[0].messages[-1][1]
    assert "- End with a period." in prompt and "<EXAMPLE>x = 3</EXAMPLE>" in prompt
    assert "<ANSWER>" in prompt and p.value == "x = 4"


def test_no_feedback_means_no_call():
    engine = tg.ScriptedEngine(responder())
    p = tg.Variable("v", "draft")
    report = tg.TGD([p], engine=engine).step()[0]
    assert engine.requests == [] and report.reason == "no feedback"


def test_parameters_must_require_grad():
    with pytest.raises(ValueError, match="does not require grad"):
        tg.TGD([tg.Variable("fixed", "context", requires_grad=False)])


def test_variable_output_format_wins_over_the_optimizer_default():
    engine = tg.ScriptedEngine(responder(update='{"improved_variable": "x = 4"}'))
    p = _param(output_format=tg.JsonFormat())
    assert tg.TGD([p], engine=engine).step()[0].accepted and p.value == "x = 4"
    assert _updates(engine)[0].output.json_schema is not None
