"""Test cases going into the sandbox and per-test results coming out of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

VERDICTS = ("host", "sandbox")  # who decided a test: the host compared, or the sandbox asserted
STATUSES = (
    "passed",
    "wrong_answer",
    "runtime_error",
    "time_limit",
    "memory_limit",
    "compile_error",
    "not_run",
)


@dataclass
class TestCase:
    """One test. Its expected value stays on the host, which compares it with the plain value
    the sandbox reports (``compare``: "exact", "float" within ``tol``, or "unordered"; or a
    host-side ``check(actual, expected)`` that raises AssertionError on a wrong answer).

    What runs in the sandbox is one of: a call ``entry(*args, **kwargs)``; an expression
    ``expr`` after ``setup`` code, with ``bind`` names bound and ``candidate`` being the entry
    point; or Python ``source`` with asserts (split into setup, expression and expected value
    where its last statement allows, else run whole there, a verdict from inside the sandbox).
    ``display`` replaces the shown input; ``check_id`` names the check (for cache keys).
    """

    __test__ = False  # not a pytest class

    name: str = ""
    args: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)
    expected: Any = None
    source: str | None = None
    compare: str = "exact"
    tol: float = 1e-6
    timeout: float | None = None
    setup: str = ""
    expr: str | None = None
    bind: dict = field(default_factory=dict)
    display: str = ""
    check: Callable[[Any, Any], Any] | None = field(default=None, repr=False, compare=False)
    check_id: str = ""

    def to_job(self) -> dict:
        """The whole test as data (expected value included: for cache keys, never the sandbox;
        what enters the sandbox is built by ``verdict.prepare``)."""
        job: dict[str, Any] = {"name": self.name, "compare": self.compare, "tol": self.tol}
        if self.timeout:
            job["timeout"] = self.timeout
        if self.source is not None:
            job["source"] = self.source
        elif self.expr is not None:
            job.update(setup=self.setup, expr=self.expr, bind=dict(self.bind))
            job.update(expected=self.expected, check_id=self.check_id)
        else:
            job.update(args=list(self.args), kwargs=dict(self.kwargs), expected=self.expected)
        return job

    @classmethod
    def from_dict(cls, d: dict) -> TestCase:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        if "input" in d and "args" not in d:
            known["args"] = d["input"] if isinstance(d["input"], list) else [d["input"]]
        if "output" in d and "expected" not in d:
            known["expected"] = d["output"]
        return cls(**known)


@dataclass
class TestResult:
    """What happened to one test."""

    __test__ = False

    index: int
    name: str
    status: str
    input: str = ""
    expected: str = ""
    actual: str = ""
    stdout: str = ""
    stderr: str = ""
    error: str = ""
    traceback: str = ""
    time_s: float = 0.0
    verdict: str = "host"

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RunResult:
    """All tests of one sandboxed run, plus what the process itself did."""

    tests: list[TestResult]
    wall_s: float = 0.0
    exit_code: int | None = None
    killed: str = ""  # why the runner killed the process ("" when it ended by itself)
    stdout: str = ""
    stderr: str = ""
    sandboxed: bool = True

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.tests)

    @property
    def total(self) -> int:
        return len(self.tests)

    @property
    def host_passed(self) -> int:
        """Tests passed by the host's own comparison (what a gate or benchmark should count)."""
        return sum(t.passed and t.verdict == "host" for t in self.tests)

    @property
    def sandbox_verdicts(self) -> int:
        """Tests whose verdict came from inside the sandbox (asserts the host could not split)."""
        return sum(t.verdict == "sandbox" for t in self.tests)

    @property
    def all_passed(self) -> bool:
        return bool(self.tests) and self.passed == self.total

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.tests else 0.0

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for t in self.tests:
            out[t.status] = out.get(t.status, 0) + 1
        return {k: v for k, v in out.items() if v}

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(passed=self.passed, total=self.total, host_passed=self.host_passed)
        return d
