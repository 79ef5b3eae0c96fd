"""``textgrad-sci code check --dataset NAME --problem SLUG --solution FILE``: run one solution
against every visible and hidden test of a problem in the sandbox; exit 0 only when all pass.

The lead's ``code`` CLI calls :func:`register` with its sub-command parsers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from textgrad_sci.losses.code_tests import STATUS_TEXT
from textgrad_sci.losses.sandbox import Limits, RunResult, Sandbox, SandboxError, TestResult

from textgrad_sci.options import UsageError

from .problems import DATASETS, Problem, ProblemError, dataset_mounts, load_dataset


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``check`` sub-command (with its handler) to the ``code`` command's parsers."""
    text = "run one solution file against every visible and hidden test of a problem"
    parser = subparsers.add_parser(
        "check", help=text, description=text + "; exit 0 only when all pass"
    )
    parser.add_argument(
        "--dataset", required=True, help=f"{', '.join(DATASETS)}, or a problem file"
    )
    parser.add_argument(
        "--problem",
        required=True,
        help="the problem's name in the data set (LeetCode's hyphenated slug, "
        "or an id such as HumanEval/0, works too)",
    )
    parser.add_argument("--solution", required=True, help="a Python file with the solution")
    parser.add_argument("--test-timeout", type=float, default=2.0, help="seconds per test")
    parser.set_defaults(handler=check_command)
    return parser


def read_solution(path: str) -> str:
    """The solution's source; UsageError for a missing, empty or non-compiling file."""
    file = Path(path)
    try:
        code = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"solution file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"cannot read the solution file {path}: {err}") from None
    if not code.strip():
        raise UsageError(f"the solution file {path} is empty")
    try:
        compile(code, str(file), "exec")
    except (SyntaxError, ValueError) as err:
        line = getattr(err, "lineno", None)
        where = f" line {line}" if line else ""
        raise UsageError(
            f"the solution file {path} has a syntax error at{where}: {getattr(err, 'msg', err)}"
        ) from None
    return code


def find_problem(problems: list[Problem], slug: str) -> Problem:
    """A problem by its id, or its name with hyphens for underscores (either way round)."""
    wanted = {slug.strip(), slug.strip().lower().replace("-", "_")}
    for p in problems:
        if p.id in wanted or p.id.lower().replace("-", "_") in wanted:
            return p
    raise UsageError(f"no problem named {slug!r} in this data set ({len(problems)} problems)")


def _line(kind: str, t: TestResult) -> str:
    text = f"{kind} {t.name}: {STATUS_TEXT.get(t.status, t.status)}"
    if t.passed:
        return text
    details = [f"input: {t.input}"] if t.input else []
    if t.expected:
        details.append(f"expected: {t.expected}")
    if t.actual:
        details.append(f"actual: {t.actual}")
    if t.error:
        details.append(t.error.splitlines()[0] if t.error else "")
    return text + " (" + "; ".join(details) + ")"


def report(problem: Problem, result: RunResult, out: TextIO) -> None:
    n_visible = len(problem.visible_tests)
    for t in result.tests:
        print(_line("visible" if t.index < n_visible else "hidden", t), file=out)
    visible = result.tests[:n_visible]
    print(
        f"{problem.id}: {result.passed}/{result.total} tests passed "
        f"(visible {sum(t.passed for t in visible)}/{len(visible)}, "
        f"hidden {result.passed - sum(t.passed for t in visible)}/{result.total - len(visible)})",
        file=out,
    )


def check_command(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run the check; 0 when every test passes, 1 when one fails (UsageError for bad input)."""
    out = out or sys.stdout
    code = read_solution(args.solution)
    try:
        problems = load_dataset(args.dataset)
    except (ProblemError, ValueError, ModuleNotFoundError) as err:
        raise UsageError(str(err)) from None
    problem = find_problem(problems, args.problem)
    tests = problem.visible_tests + [
        t for t in problem.hidden_tests if t not in problem.visible_tests
    ]
    problem = Problem(**{**problem.__dict__, "hidden_tests": tests[len(problem.visible_tests) :]})
    try:
        with Sandbox(
            Limits(test_timeout_s=args.test_timeout), mounts=dataset_mounts(args.dataset)
        ) as sandbox:
            result = sandbox.run(code, problem.all_tests, problem.entry_point)
    except SandboxError as err:
        raise UsageError(str(err)) from None
    report(problem, result, out)
    return 0 if result.all_passed else 1
