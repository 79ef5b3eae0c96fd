"""Run a CLI command in a child process with an engine the test scripts, kill or interrupt it
mid-run, and read its run directory: the shared loop's resume and stop behaviour, end to end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def start_cli(setup: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
    """``textgrad-sci ARGS`` in a new Python process after running ``setup`` (code that may
    register engines; the tests folder is importable)."""
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(TESTS)!r})\n"
        f"{setup}\n"
        "from textgrad_sci.cli import main\n"
        f"sys.exit(main({args!r}))\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TEXTGRAD_SCI_CACHE": "off", **(env or {})},
    )


def recorded_steps(run_dir: Path) -> list[dict]:
    path = Path(run_dir) / "steps.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def signal_after_steps(proc: subprocess.Popen, run_dir: Path, sig: int, steps: int = 1,
                       timeout: float = 120.0) -> tuple[str, str]:
    """Send ``sig`` once ``steps`` steps are recorded; return the process's (stdout, stderr)."""
    deadline = time.monotonic() + timeout
    while len(recorded_steps(run_dir)) < steps:
        if proc.poll() is not None or time.monotonic() > deadline:
            out, err = proc.communicate()
            raise AssertionError(f"the run ended before step {steps} was recorded:\n{err[-2000:]}")
        time.sleep(0.02)
    proc.send_signal(sig)
    return proc.communicate(timeout=timeout)


def run_status(run_dir: Path) -> str:
    return json.loads((Path(run_dir) / "run.json").read_text())["status"]


def assert_one_line_no_traceback(stderr: str, *needles: str) -> None:
    """The failure is reported in one line (progress bars aside), without a traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("textgrad-sci ")]
    assert len(lines) == 1, stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


KILL = signal.SIGKILL
INTERRUPT = signal.SIGINT
UNREACHABLE = "openai:m@http://127.0.0.1:9/v1"
