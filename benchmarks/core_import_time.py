"""`import textgrad_sci` wall time vs `import textgrad` (TextGrad 0.1.8, in its own venv), same run.

TextGrad is never a project dependency: make a throwaway venv for it and pass its python:
    python3 -m venv /tmp/tgbench && /tmp/tgbench/bin/pip install textgrad==0.1.8
    python benchmarks/core_import_time.py --textgrad-python /tmp/tgbench/bin/python
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time


def import_seconds(python: str, module: str, repeats: int) -> float:
    """Median wall time of a fresh interpreter importing ``module``, minus an empty interpreter."""

    def timed(code: str) -> float:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as cwd:  # TextGrad writes a logs/ folder into its cwd
            subprocess.run([python, "-c", code], check=True, capture_output=True, cwd=cwd)
        return time.perf_counter() - started

    empty = statistics.median(timed("pass") for _ in range(repeats))
    full = statistics.median(timed(f"import {module}") for _ in range(repeats))
    return max(full - empty, 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--textgrad-python", default="/tmp/tgbench/bin/python")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    ours = import_seconds(sys.executable, "textgrad_sci", args.repeats)
    theirs = import_seconds(args.textgrad_python, "textgrad", max(2, args.repeats // 2))
    print(f"import textgrad_sci: {ours:.3f} s over an empty interpreter (median of {args.repeats})")
    print(f"import textgrad:     {theirs:.3f} s")
    print(
        f"import time: {ours:.3f} s (baseline: import textgrad {theirs:.3f} s, "
        f"ratio: {theirs / max(ours, 1e-9):.0f}x faster)"
    )


if __name__ == "__main__":
    main()
