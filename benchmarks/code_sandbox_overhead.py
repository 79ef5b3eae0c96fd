"""Per-run latency of the sandbox (one solution, one test) vs a plain ``python -I -S``
subprocess running the same code, in the same run. Warm: a sandbox started ahead of time (the
default in the CLI; replaced in the background after each run); cold: bubblewrap started for
the run.

    python benchmarks/code_sandbox_overhead.py [--runs 40]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time

from textgrad_sci.losses.sandbox import Limits, Sandbox, TestCase
from textgrad_sci.losses.sandbox.launcher import sandbox_python

CODE = "def add(a, b):\n    return a + b\n"
PLAIN = CODE + "assert add(1, 2) == 3\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    python = sandbox_python()
    tests = [TestCase(args=[1, 2], expected=3)]
    plain, warm, cold = [], [], []
    with Sandbox(Limits(), warm=1) as hot, Sandbox(Limits(), warm=0) as fresh:
        for _ in range(args.runs):  # interleaved, so load changes hit all three
            t = time.perf_counter()
            subprocess.run([python, "-I", "-S", "-c", PLAIN], check=True, capture_output=True)
            plain.append(time.perf_counter() - t)
            hot.wait_warm()  # the replacement sandbox is started in the background
            t = time.perf_counter()
            assert hot.run(CODE, tests, "add").all_passed
            warm.append(time.perf_counter() - t)
            t = time.perf_counter()
            assert fresh.run(CODE, tests, "add").all_passed
            cold.append(time.perf_counter() - t)
    p, w, c = (statistics.median(x) * 1000 for x in (plain, warm, cold))
    print(f"median per run: plain {p:.1f} ms, sandbox warm {w:.1f} ms, cold {c:.1f} ms")
    print(f"code_sandbox_overhead_cold: {c:.1f} ms (baseline: {p:.1f} ms, ratio: {c / p:.2f}x)")
    print(f"code_sandbox_overhead: {w:.1f} ms (baseline: {p:.1f} ms, ratio: {w / p:.2f}x)")


if __name__ == "__main__":
    main()
