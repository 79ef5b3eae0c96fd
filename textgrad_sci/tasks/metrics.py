"""The string-based checks of TextGrad's tasks (DSPy's integer parsing, multiple-choice
letters), as plain functions of variables."""

from __future__ import annotations

import re
from typing import Any

CHOICE_PATTERN = re.compile(r"(?i)Answer\s*:\s*\(?([A-D])\)?")


def parse_integer_answer(answer: str, only_first_line: bool = False) -> int:
    """The last number in ``answer`` (0 when there is none), as DSPy and TextGrad parse it."""
    if only_first_line:
        answer = answer.strip().split("\n")[0]
    tokens = [t for t in answer.strip().split() if any(c.isdigit() for c in t)]
    if not tokens:
        return 0
    digits = "".join(c for c in tokens[-1].split(".")[0] if c.isdigit())
    return int(digits) if digits else 0


def string_based_equality_fn(prediction: Any, ground_truth_answer: Any) -> int:
    """1 when the prediction's last number equals the answer's, else 0."""
    predicted = parse_integer_answer(str(getattr(prediction, "value", prediction)))
    truth = parse_integer_answer(str(getattr(ground_truth_answer, "value", ground_truth_answer)))
    return int(predicted == truth)


def eval_string_based(response_text: str, correct_answer: str) -> float:
    """1.0 when ``Answer: X`` in the response names the correct letter."""
    match = CHOICE_PATTERN.search(response_text)
    return 1.0 if match and match.group(1).upper() == correct_answer else 0.0
