"""The test-result loss: run a solution's tests in the sandbox; numbers plus their text rendering.

The loss never raises into the optimization loop: sandbox failures become text feedback too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from textgrad_sci.tool_loss import Measurement, ToolLoss
from textgrad_sci.variable import Variable

from .sandbox import RunResult, Sandbox, SandboxError, TestCase, TestResult

MAX_SHOWN_FAILURES = 3

STATUS_TEXT = {
    "passed": "passed",
    "wrong_answer": "wrong answer",
    "runtime_error": "runtime error",
    "time_limit": "time limit exceeded",
    "memory_limit": "memory limit exceeded",
    "compile_error": "does not compile",
    "not_run": "not run",
}


def render_test(t: TestResult) -> str:
    """One failed test as text: input, expected, actual, error and trimmed traceback."""
    lines = [f"- {t.name}: {STATUS_TEXT.get(t.status, t.status)}"]
    if t.input:
        lines.append(f"  input: {t.input}")
    if t.expected:
        lines.append(f"  expected: {t.expected}")
    if t.actual and t.status == "wrong_answer":
        lines.append(f"  actual: {t.actual}")
    if t.error:
        lines.append(f"  error: {t.error}")
    if t.traceback and t.status != "compile_error":
        lines.append("  " + t.traceback.replace("\n", "\n  "))
    elif t.traceback:
        lines.append("  " + t.traceback.replace("\n", "\n  "))
    if t.stdout.strip():
        lines.append(f"  printed: {t.stdout.strip()[:300]}")
    return "\n".join(lines)


def render(result: RunResult, label: str = "tests") -> str:
    """The whole run as text: the count, then the first failures in detail."""
    if not result.tests:
        return f"No {label} were run."
    if result.all_passed:
        return f"All {result.total} {label} passed."
    failed = [t for t in result.tests if not t.passed]
    counts = ", ".join(
        f"{n} {STATUS_TEXT.get(s, s)}" for s, n in result.counts().items() if s != "passed"
    )
    head = f"{len(failed)} of {result.total} {label} failed ({counts})."
    if failed[0].status == "compile_error":
        return head + " The code does not compile:\n" + render_test(failed[0])
    shown = [render_test(t) for t in failed[:MAX_SHOWN_FAILURES]]
    more = len(failed) - MAX_SHOWN_FAILURES
    tail = f"\n({more} more failing tests not shown)" if more > 0 else ""
    return head + "\n" + "\n".join(shown) + tail


def numbers(result: RunResult) -> dict:
    """The numbers of a run (for plots, gating and run logs)."""
    return {
        "passed": result.passed,
        "total": result.total,
        "pass_rate": result.pass_rate,
        "all_passed": result.all_passed,
        "host_passed": result.host_passed,  # passed by the host's own comparison
        "sandbox_verdicts": result.sandbox_verdicts,  # asserts only the sandbox could judge
        "statuses": result.counts(),
        "wall_s": round(result.wall_s, 4),
    }


class CodeTestLoss(ToolLoss):
    """``loss(code) -> Variable``: the rendered results of running ``tests`` against the code.

    ``output.data`` holds the numbers (passed, total, pass_rate, statuses) and the per-test
    results; the score is the fraction of tests not passed by the host's own comparison (a
    verdict from inside the sandbox does not count; 1.0 when the sandbox failed). In
    backward, the code receives the rendered failures as feedback, plus any feedback the results
    themselves received. Measurements are cached by the hash of code, entry point and tests.
    """

    feedback_via = "test results"

    def __init__(
        self,
        sandbox: Sandbox,
        tests: Sequence[TestCase],
        entry_point: str = "",
        label: str = "tests",
    ) -> None:
        self.sandbox = sandbox
        self.tests = list(tests)
        self.entry_point = entry_point
        self.label = label

    def canonical(self, code: str) -> str:
        blob = json.dumps([code, self.entry_point, [t.to_job() for t in self.tests]], default=repr)
        return hashlib.sha256(blob.encode()).hexdigest()

    def measure(self, code: str) -> Measurement:
        """Run the tests in the sandbox; a sandbox failure is the measurement's error."""
        try:
            result = self.sandbox.run(code, self.tests, self.entry_point)
        except SandboxError as err:
            text = f"The {self.label} could not be run: {err}"
            data = {"passed": 0, "total": len(self.tests), "pass_rate": 0.0,
                    "all_passed": False, "error": text}
            return Measurement(data, text, 1.0, error=text)
        data = {**numbers(result), "tests": [t.to_dict() for t in result.tests]}
        score = 1.0 - result.host_passed / result.total if result.total else 1.0  # host-judged
        return Measurement(data, render(result, self.label), score, detail=result)

    def role_of(self, variable: Variable) -> str:
        return f"results of running the {self.label} on the {variable.role_description}"

    def feedback(self, measurement: Measurement, variable: Variable) -> str | None:
        if measurement.numbers.get("all_passed"):
            return None
        return f"Results of running the {self.label} on this code:\n{measurement.text}"
