"""Answer checkers and answer parsing."""

import pytest
from textgrad_sci.domains.prompt import (
    choice_match,
    exact_match,
    get_checker,
    numeric_match,
    parse_choice,
    parse_number,
)


def test_exact_match_uses_final_answer_and_normalizes():
    assert exact_match("Let me think.\nAnswer:  Paris.", "paris")
    assert exact_match("  New   York ", "new york")
    assert not exact_match("Answer: Lyon", "Paris")
    assert not exact_match("Paris is not it. Answer: Lyon", "Paris")


@pytest.mark.parametrize(
    "response,expected",
    [
        ("Answer: 12", 12.0),
        ("I count eight apples", 8.0),
        ("There are 3 apples and 4 pears, so Answer: 7", 7.0),
        ("Answer: 1,200.", 1200.0),
        ("answer is -3.5", -3.5),
        ("no number here", None),
    ],
)
def test_parse_number(response, expected):
    assert parse_number(response) == expected


def test_numeric_match():
    assert numeric_match("3 apples + 4 pears\nAnswer: 7", "7")
    assert numeric_match("Answer: seven", "7")
    assert not numeric_match("Answer: 8", "7")
    assert not numeric_match("I don't know", "7")
    with pytest.raises(ValueError, match="not a number"):
        numeric_match("Answer: 3", "many")


@pytest.mark.parametrize(
    "response,letter",
    [
        ("Answer: (B)", "B"),
        ("I think A is wrong. The answer is C.", "C"),
        ("(D) because the others fail", "D"),
        ("B", "B"),
        ("Option (A) is wrong, (C) is right", "C"),
        ("I have no idea", None),
        ("I am sure", None),
    ],
)
def test_parse_choice(response, letter):
    assert parse_choice(response) == letter


def test_choice_match_and_letters_outside_range():
    assert choice_match("Answer: (B)", "B")
    assert choice_match("Answer: (B)", "(B)")
    assert not choice_match("Answer: (C)", "B")
    assert parse_choice("Answer: (E)", "ABCD") is None
    with pytest.raises(ValueError, match="not a choice letter"):
        choice_match("Answer: (B)", "maybe")


def test_get_checker_by_name_callable_and_unknown():
    assert get_checker("numeric") is numeric_match

    def contains(response: str, answer: str) -> bool:
        return answer in response

    assert get_checker(contains) is contains
    with pytest.raises(ValueError, match="unknown checker 'fuzzy'"):
        get_checker("fuzzy")
