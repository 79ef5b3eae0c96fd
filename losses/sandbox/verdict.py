"""The host decides: what of a test enters the sandbox, and the verdict on what comes back.

``prepare`` turns a :class:`TestCase` into the sandbox's part (never its expected value) and the
host's part (expected value and rule). ``judge`` reads one record the sandbox sent (untrusted
JSON) and compares its plain value on the host.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .results import STATUSES, TestCase, TestResult
from .split import split_source

FAILURES = frozenset(STATUSES) - {"passed", "not_run"}
TEXT_FIELDS = ("stdout", "stderr", "error", "traceback")


@dataclass
class Prepared:
    """One test, split: ``job`` goes into the sandbox; the rest stays here."""

    job: dict
    rule: str  # exact, float, unordered, truthy, falsy, is, abs_lt, check, or sandbox
    expected: Any = None
    tol: float = 0.0
    check: Callable[[Any, Any], Any] | None = None
    input: str = ""
    expected_text: str = ""

    @property
    def verdict(self) -> str:
        return "sandbox" if self.rule == "sandbox" else "host"


def short(value: Any, cap: int) -> str:
    text = repr(value)
    return text if len(text) <= cap else text[:cap] + f"... [{len(text) - cap} more characters]"


def _cut(text: str, cap: int) -> str:
    return text if len(text) <= cap else text[:cap] + " ..."


def prepare(case: TestCase, value_chars: int = 300) -> Prepared:
    """The sandbox's part of ``case`` and the host's."""
    job: dict[str, Any] = {}
    if case.timeout:
        job["timeout"] = case.timeout
    rule, expected, tol = case.compare, case.expected, case.tol
    if case.check is not None:
        rule = "check"
    if case.source is not None:
        split = split_source(case.source)
        shown = case.display or _cut(case.source, value_chars)
        if split is None:
            job.update(kind="exec", source=case.source)
            return Prepared(job, "sandbox", input=shown)
        job.update(kind="eval", setup=split.setup, expr=split.expr)
        rule, expected, tol = split.rule, split.expected, split.tol
        if split.rule in ("exact", "abs_lt"):
            text = short(expected, value_chars)
        else:
            text = {"truthy": "a true value", "falsy": "a false value"}.get(rule, repr(expected))
        return Prepared(job, rule, expected, tol, None, shown, text)
    if case.expr is not None:
        job.update(kind="eval", setup=case.setup, expr=case.expr, bind=dict(case.bind))
        shown = case.display or _cut(case.expr, value_chars)
    else:
        job.update(kind="call", args=list(case.args), kwargs=dict(case.kwargs))
        shown = ", ".join([short(a, value_chars) for a in case.args])
        shown += "".join(f", {k}={short(v, value_chars)}" for k, v in case.kwargs.items())
        shown = case.display or shown.lstrip(", ")
    return Prepared(job, rule, expected, tol, case.check, shown, short(expected, value_chars))


# -- comparison on the host ---------------------------------------------------------------------
def _lists(value: Any) -> Any:
    """Tuples as lists, recursively, so values compare like their JSON form."""
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    return value


def _close(a: Any, b: Any, tol: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=tol, abs_tol=tol)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], tol) for k in a)
    return a == b


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def compare(rule: str, actual: Any, expected: Any, tol: float) -> bool:
    """Whether plain ``actual`` satisfies ``rule`` against ``expected`` (both on the host)."""
    if rule == "truthy":
        return bool(actual)
    if rule == "falsy":
        return not actual
    if rule == "is":
        return actual is expected
    if rule == "abs_lt":
        number = isinstance(actual, (int, float)) and not isinstance(actual, bool)
        return number and abs(actual - expected) < tol
    actual, expected = _lists(actual), _lists(expected)
    if rule == "float":
        return _close(actual, expected, tol)
    if rule == "unordered":
        if not isinstance(actual, list) or not isinstance(expected, list):
            return False
        return sorted(map(_canonical, actual)) == sorted(map(_canonical, expected))
    return actual == expected


def _run_check(prep: Prepared, actual: Any) -> str:
    """ "" when the host-side check accepts ``actual``, else why not."""
    try:
        ok = prep.check(actual, prep.expected)  # type: ignore[misc]
    except AssertionError as err:
        return f"the check failed: {err}" if str(err) else "the check failed"
    except Exception as err:  # noqa: BLE001 - a wrong result may break the checker
        return f"the check could not accept the result: {type(err).__name__}: {err}"
    return "" if ok is None or ok is True else "the check failed"


# -- one record ---------------------------------------------------------------------------------
def malformed(base: TestResult, why: str) -> TestResult:
    base.status, base.error = "runtime_error", f"the sandbox sent a malformed record ({why})"
    return base


def judge(
    prep: Prepared, base: TestResult, payload: bytes, value_cap: int, text_cap: int
) -> TestResult:
    """The verdict on one record (``base`` holds the index, name, input and expected)."""
    base.verdict = prep.verdict
    try:
        record = json.loads(payload)
    except (ValueError, RecursionError):
        return malformed(base, "not JSON")
    if not isinstance(record, dict):
        return malformed(base, "not an object")
    for key in TEXT_FIELDS:
        value = record.get(key, "")
        if not isinstance(value, str):
            return malformed(base, f"{key} is not text")
        setattr(base, key, _cut(value, text_cap + 100))
    seconds = record.get("time_s", 0.0)
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
        base.time_s = float(seconds)
    status = record.get("status")
    if "not_plain" in record:
        kind = record["not_plain"]
        kind = kind[:100] if isinstance(kind, str) else "object"
        base.status, base.error = "wrong_answer", f"returned a {kind}, not plain data"
        return base
    if status in FAILURES:
        base.status = status
        return base
    if prep.rule == "sandbox":
        if status != "passed":
            return malformed(base, "no status")
        base.status = "passed"
        return base
    if "value" not in record or status is not None:
        return malformed(base, "no value")
    actual = record["value"]
    base.actual = short(actual, value_cap)
    if prep.rule == "check":
        why = _run_check(prep, actual)
        base.status = "wrong_answer" if why else "passed"
        base.error = why
        return base
    try:
        ok = compare(prep.rule, actual, prep.expected, prep.tol)
    except (TypeError, ValueError, RecursionError) as err:
        ok, base.error = False, f"comparison failed: {type(err).__name__}"
    base.status = "passed" if ok else "wrong_answer"
    return base
