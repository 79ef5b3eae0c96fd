"""Answer checkers: does a model's response give the expected answer?

Each checker is ``check(response, answer) -> bool``. The response may contain reasoning; the
final answer is taken after the last ``Answer:`` when there is one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

Checker = Callable[[str, str], bool]

_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_WORD_NUMBER = re.compile(r"\b(" + "|".join(_WORDS) + r")\b", re.IGNORECASE)


def final_answer(response: str) -> str:
    """The text after the last ``Answer:`` (or ``answer is``), else the whole response."""
    matches = list(re.finditer(r"answer\s*(?:is|:)\s*", response, re.IGNORECASE))
    text = response[matches[-1].end() :] if matches else response
    return text.strip()


def normalize(text: str) -> str:
    text = re.sub(r"\s+", " ", text.strip().casefold())
    return text.strip(" .!\"'`*")


def exact_match(response: str, answer: str) -> bool:
    """Case- and whitespace-insensitive equality of the final answer."""
    return normalize(final_answer(response)) == normalize(answer)


def parse_number(text: str) -> float | None:
    """The last number in the final answer (digits, or a number word up to twenty)."""
    text = final_answer(text)
    found = [(m.start(), m.group()) for m in _NUMBER.finditer(text)]
    found += [(m.start(), m.group()) for m in _WORD_NUMBER.finditer(text)]
    if not found:
        return None
    _, token = max(found)
    if token.lower() in _WORDS:
        return float(_WORDS[token.lower()])
    try:
        return float(token.replace(",", ""))
    except ValueError:
        return None


def numeric_match(response: str, answer: str, rel_tol: float = 1e-6) -> bool:
    """The final number of the response equals the answer (relative tolerance ``rel_tol``)."""
    got, want = parse_number(response), parse_number(answer)
    if want is None:
        raise ValueError(f"the expected answer {answer!r} is not a number")
    return got is not None and math.isclose(got, want, rel_tol=rel_tol, abs_tol=1e-9)


def parse_choice(text: str, letters: str = "ABCDEFGHIJ") -> str | None:
    """The multiple-choice letter a response commits to: ``Answer: (B)``, ``answer is B``,
    ``(B)``, ``B)`` or a response that is just ``B``; the last such mention wins, None if none."""
    valid = f"[{re.escape(letters)}]"
    marked = [rf"\(\s*({valid})\s*\)", rf"(?<![A-Za-z])({valid})\)"]
    lone = rf"(?<![A-Za-z'])({valid})(?![A-Za-z'])"
    tail = final_answer(text)
    candidates = [(tail, [*marked, lone])] if tail != text.strip() else []
    candidates.append((text, marked))
    if re.fullmatch(rf"\s*{valid}[.)]?\s*", text):
        candidates.append((text, [lone]))
    for source, patterns in candidates:
        for pattern in patterns:
            found = re.findall(pattern, source)
            if found:
                return found[-1]
    return None


def choice_match(response: str, answer: str) -> bool:
    """The letter chosen in the response equals the expected letter (``B`` or ``(B)``)."""
    want = parse_choice(answer.strip().upper())
    if want is None:
        raise ValueError(f"the expected answer {answer!r} is not a choice letter")
    return parse_choice(response) == want


CHECKERS: dict[str, Checker] = {
    "exact": exact_match,
    "numeric": numeric_match,
    "choice": choice_match,
}


def get_checker(checker: str | Checker) -> Checker:
    """A checker by name (exact, numeric, choice) or a user callable ``(response, answer)``."""
    if callable(checker):
        return checker
    try:
        return CHECKERS[checker]
    except KeyError:
        raise ValueError(
            f"unknown checker {checker!r}: use one of {', '.join(CHECKERS)} or a callable"
        ) from None
