"""Sandboxed throughput on LeetCode Hard tests (tests/code_solutions, every visible and hidden
test) vs running the same tests with pytest in a subprocess per problem (the package's own
way: helpers.py, solution.py and a parametrized test file), in the same run.

    python benchmarks/code_leetcode_throughput.py [--rounds 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from textgrad_sci.domains.code import leetcode as lc
from textgrad_sci.losses.sandbox import Limits, Sandbox

SOLUTIONS = Path(__file__).resolve().parents[1] / "tests" / "code_solutions"


def pytest_dir(doc: dict, solution: str, base: Path) -> Path:
    """The problem as pytest runs it: helpers, solution and a parametrized test module."""
    d = base / doc["problem_name"]
    d.mkdir()
    imports = re.sub(r"from \.(solution)? import", "from solution import", doc["helpers_imports"])
    helpers = [imports, doc["helpers_content"]]
    for kind in ("run", "assert"):
        helpers.append(
            f"def {kind}_{doc[f'helpers_{kind}_name']}{doc[f'helpers_{kind}_signature']}:\n"
            f"{doc[f'helpers_{kind}_body']}\n"
        )
    (d / "helpers.py").write_text("\n\n".join(helpers))
    (d / "solution.py").write_text(solution)
    test = ["import pytest", "from helpers import *", "from solution import *", ""]
    for m in doc["_test_methods"]["list"]:
        params = m["signature"].replace("(self, ", "(").replace("(self)", "()")
        cases = ",\n    ".join(m["test_cases"]["list"])
        test.append(f"@pytest.mark.parametrize({m['parametrize']!r}, [\n    {cases},\n])")
        test.append(
            f"def {m['name']}{params}:\n{textwrap.indent(textwrap.dedent(m['body']), '    ')}\n"
        )
    (d / "test_solution.py").write_text("\n".join(test))
    return d


def run_pytest(d: Path) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(d)],
        capture_output=True,
        cwd=d,
        timeout=120,
    )
    return done.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    hard = {p.id: p for p in lc.load_leetcode("hard")}
    names = sorted(p.stem for p in SOLUTIONS.glob("*.py") if p.stem in hard)
    solutions = {n: (SOLUTIONS / f"{n}.py").read_text() for n in names}
    docs = {n: json.loads((lc.problems_dir() / f"{n}.json").read_text()) for n in names}
    jobs = [(solutions[n], hard[n].all_tests, hard[n].entry_point) for n in names]
    n_tests = sum(len(j[1]) for j in jobs)
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [pytest_dir(docs[n], solutions[n], Path(tmp)) for n in names]
        for _ in range(args.rounds):  # interleaved, so load changes hit both
            with Sandbox(Limits(test_timeout_s=3.0), warm=args.workers, mounts=lc.mounts()) as sb:
                sb.wait_warm()
                started = time.perf_counter()
                results = sb.run_many(jobs, workers=args.workers)
                ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            with ThreadPoolExecutor(args.workers) as pool:
                passed = list(pool.map(run_pytest, dirs))
            theirs.append(time.perf_counter() - started)
            print(
                f"{len(names)} problems ({n_tests} tests): sandbox {ours[-1]:.2f} s, "
                f"{sum(r.all_passed for r in results)} passing | pytest {theirs[-1]:.2f} s, "
                f"{sum(passed)} passing"
            )
    rate, base = len(names) / min(ours), len(names) / min(theirs)
    print(
        f"code_leetcode_throughput: {rate:.1f} problems/s "
        f"(baseline: {base:.1f} problems/s, ratio: {rate / base:.2f}x)"
    )


if __name__ == "__main__":
    main()
