"""Test cases going into the sandbox and per-test results coming out of it."""

from __future__ import annotations

import ast
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

STATUSES = (
    "passed",
    "wrong_answer",
    "runtime_error",
    "time_limit",
    "memory_limit",
    "compile_error",
    "not_run",
)


@lru_cache(maxsize=4096)
def split_assert(source: str) -> dict | None:
    """For tests ending in ``assert LEFT == RIGHT``: the setup before it and both sides as
    source text, so the sandbox reports actual and expected values (None for other tests)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    last = tree.body[-1] if tree.body else None
    if not (
        isinstance(last, ast.Assert)
        and isinstance(last.test, ast.Compare)
        and len(last.test.ops) == 1
        and isinstance(last.test.ops[0], ast.Eq)
    ):
        return None
    left = ast.get_source_segment(source, last.test.left)
    right = ast.get_source_segment(source, last.test.comparators[0])
    if left is None or right is None:
        return None
    setup = ast.unparse(ast.Module(body=tree.body[:-1], type_ignores=[]))
    return {"setup": setup, "left": f"({left})", "right": f"({right})"}


@dataclass
class TestCase:
    """One test: either a call ``entry(*args, **kwargs)`` compared with ``expected`` (``compare``:
    "exact", "float" within ``tol``, or "unordered"), or Python ``source`` (asserts) run with
    ``candidate`` bound to the entry point."""

    __test__ = False  # not a pytest class

    name: str = ""
    args: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)
    expected: Any = None
    source: str | None = None
    compare: str = "exact"
    tol: float = 1e-6
    timeout: float | None = None

    def to_job(self) -> dict:
        job: dict[str, Any] = {"name": self.name, "compare": self.compare, "tol": self.tol}
        if self.timeout:
            job["timeout"] = self.timeout
        if self.source is not None:
            job["source"] = self.source
            split = split_assert(self.source)
            if split:
                job["split"] = split
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
        d.update(passed=self.passed, total=self.total)
        return d
