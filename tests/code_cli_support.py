"""The ``textgrad-sci`` CLI in a subprocess with ``slowcoder:SECONDS``, a scripted coder that
sleeps per call, so that a test can kill or interrupt a code run between its steps.

Its answers depend only on the prompt: a critique is a fixed sentence, an update returns the
current code with its ``# version N`` comment raised by one (still failing the tests, as good
as before, so the gate accepts it). Run: ``python tests/code_cli_support.py code refine ...``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from textgrad_sci.engines import ChatRequest, ScriptedEngine

WRONG = "def running_sum(nums):\n    # version {n}\n    return list(nums)\n"


def respond(request: ChatRequest) -> str:
    system = request.messages[0][1] if request.messages else ""
    text = "\n".join(c for _, c in request.messages)
    if "optimizer" in system:
        versions = [int(v) for v in re.findall(r"# version (\d+)", text)] or [0]
        return f"<CODE>\n{WRONG.format(n=max(versions) + 1)}</CODE>"
    return "Add each number to the total before appending it."


def slow_coder(rest: str, **_kwargs) -> ScriptedEngine:
    return ScriptedEngine(respond, model=f"slowcoder:{rest}", latency=float(rest or 0))


def start(args: list[str], **kwargs) -> subprocess.Popen:
    """``textgrad-sci ARGS`` (with the ``slowcoder`` engine known) as a subprocess."""
    env = {**os.environ, "TEXTGRAD_SCI_CACHE": "off"}
    return subprocess.Popen([sys.executable, __file__, *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def wait_for_steps(run_dir: Path, n: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until ``run_dir`` records ``n`` steps (the process must still be running)."""
    deadline = time.monotonic() + timeout
    steps = run_dir / "steps.jsonl"
    while time.monotonic() < deadline:
        if steps.exists() and steps.read_text().count("\n") >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"the run ended early: {proc.communicate()}")
        time.sleep(0.01)
    raise AssertionError(f"no {n} steps in {run_dir} within {timeout} s")


if __name__ == "__main__":
    from textgrad_sci.cli import main
    from textgrad_sci.engines.registry import register_engine

    register_engine("slowcoder", slow_coder)
    sys.exit(main(sys.argv[1:]))
