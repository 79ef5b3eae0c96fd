"""Problem files, the HumanEval loader and its visible/hidden split, and the test-result loss."""

from __future__ import annotations

import json

import pytest
from textgrad_sci.domains.code.problems import (
    ProblemError,
    load_dataset,
    load_humaneval,
    load_problems,
    packaged_problems,
    split_check,
)
from textgrad_sci.losses.code_tests import CodeTestLoss
from textgrad_sci.losses.sandbox import Limits, Sandbox

from textgrad_sci import Variable


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(Limits(test_timeout_s=2.0), warm=2) as sb:
        yield sb


def test_packaged_problems_load_with_their_compare_rules():
    problems = {p.id: p for p in packaged_problems()}
    assert {"two-sum", "mean-std", "pairs-with-sum", "best-time-stock", "running-sum"} <= set(
        problems
    )
    assert problems["mean-std"].visible_tests[0].compare == "float"
    assert problems["pairs-with-sum"].hidden_tests[0].compare == "unordered"
    assert problems["best-time-stock"].entry_point == "Solution.maxProfit"


def test_canonical_solutions_pass_and_initial_solutions_fail(sandbox):
    for p in packaged_problems():
        good = sandbox.run(p.canonical_solution, p.all_tests, p.entry_point)
        bad = sandbox.run(p.initial_solution, p.all_tests, p.entry_point)
        assert good.all_passed, (p.id, [t.status for t in good.tests])
        assert not bad.all_passed, p.id


def test_bad_problem_files_give_clear_errors(tmp_path):
    missing = tmp_path / "p.json"
    missing.write_text(json.dumps({"id": "x", "statement": "s"}))
    with pytest.raises(ProblemError, match="missing field.*entry_point.*visible_tests"):
        load_problems(missing)
    bad_test = tmp_path / "q.jsonl"
    row = {"id": "x", "statement": "s", "entry_point": "f", "visible_tests": [{"expected": 1}]}
    bad_test.write_text(json.dumps(row) + "\n")
    with pytest.raises(ProblemError, match="visible_tests\\[0\\].*'args'"):
        load_problems(bad_test)
    broken = tmp_path / "r.json"
    broken.write_text("{not json")
    with pytest.raises(ProblemError, match="not valid JSON"):
        load_problems(broken)
    with pytest.raises(ProblemError, match="not found"):
        load_problems(tmp_path / "nope.json")


def test_humaneval_split_visible_first_hidden_rest():
    problems = load_humaneval()
    assert len(problems) == 164
    first = problems[0]
    assert first.id == "HumanEval/0" and first.entry_point == "has_close_elements"
    assert len(first.visible_tests) == 2 and len(first.hidden_tests) == 5
    assert first.visible_tests[0].source.startswith("assert candidate([1.0, 2.0, 3.9")
    assert all(p.visible_tests and p.hidden_tests for p in problems)
    for p in problems:
        visible = {t.name for t in p.visible_tests}
        if p.hidden_tests != p.visible_tests:  # a single test is both visible and hidden
            assert not visible & {t.name for t in p.hidden_tests}, p.id
    assert len(load_dataset("humaneval", limit=5)) == 5


def test_split_check_keeps_setup_before_loop_tests():
    code = (
        "METADATA = {}\n\ndef check(candidate):\n    import math\n    xs = [1, 2]\n"
        "    assert candidate(xs) == 3\n    assert True, 'debug'\n"
        "    for x in xs:\n        assert candidate([x]) == x\n"
    )
    tests = split_check(code)
    assert tests == [
        "import math\nxs = [1, 2]\nassert candidate(xs) == 3",
        "import math\nxs = [1, 2]\nfor x in xs:\n    assert candidate([x]) == x",
    ]


def test_humaneval_canonical_solutions_pass_per_assert(sandbox):
    problems = load_humaneval(limit=12)
    results = sandbox.run_many(
        [(p.canonical_solution, p.all_tests, p.entry_point) for p in problems], workers=2
    )
    for p, r in zip(problems, results, strict=True):
        assert r.all_passed, (p.id, [(t.status, t.error) for t in r.tests if not t.passed])


def test_loss_numbers_text_and_feedback(sandbox):
    p = load_problems("own.jsonl")[0]
    loss = CodeTestLoss(sandbox, p.visible_tests, p.entry_point, "visible tests")
    code = Variable(p.initial_solution, "solution code", requires_grad=True)
    out = loss(code)
    assert out.data["passed"] == 1 and out.data["total"] == 3
    assert out.data["statuses"] == {"passed": 1, "wrong_answer": 2}
    assert out.value.startswith("2 of 3 visible tests failed (2 wrong answer).")
    assert "input: [3, 3], 6" in out.value and "expected: [0, 1]" in out.value
    assert "actual: [0, 0]" in out.value
    out.backward()
    assert len(code.gradients) == 1 and "actual: [0, 0]" in code.gradients[0].value
    assert loss.score(p.initial_solution) == pytest.approx(2 / 3)
    assert loss.score(p.canonical_solution) == 0.0
    assert loss(Variable(p.canonical_solution, "code")).value == "All 3 visible tests passed."


def test_loss_renders_compile_errors_and_sandbox_failures(sandbox, monkeypatch):
    p = load_problems("own.jsonl")[0]
    loss = CodeTestLoss(sandbox, p.visible_tests, p.entry_point)
    out = loss(Variable("def two_sum(nums, target)\n    return []\n", "code"))
    assert "does not compile" in out.value and "expected ':'" in out.value

    from textgrad_sci.losses.sandbox import SandboxError

    def broken(*_args, **_kw):
        raise SandboxError("the sandbox did not start: bwrap: No permissions")

    monkeypatch.setattr(sandbox, "run", broken)
    failed = CodeTestLoss(sandbox, p.visible_tests, p.entry_point)(Variable("x = 1\n", "code"))
    assert "could not be run" in failed.value and failed.data["pass_rate"] == 0.0
