"""Shared helpers of the code-domain tests: a scripted model that fixes code, process checks."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from textgrad_sci.losses.sandbox import SANDBOX_UID

from textgrad_sci.engines import ChatRequest, ScriptedEngine


def coder_engine(fixed_code: str | Callable[[int], str]) -> ScriptedEngine:
    """Critiques with a fixed sentence and answers every update request with ``fixed_code``
    (or ``fixed_code(n)`` for the n-th update)."""
    updates = []

    def respond(request: ChatRequest) -> str:
        system = request.messages[0][1] if request.messages else ""
        if "optimizer" in system:
            updates.append(1)
            code = fixed_code(len(updates)) if callable(fixed_code) else fixed_code
            return f"<CODE>\n{code}</CODE>"
        if "reviewer" in system:
            return "The inner loop must start at i + 1 so an element is not paired with itself."
        return "<CODE>\ndef two_sum(nums, target):\n    return [0, 1]\n</CODE>"

    return ScriptedEngine(respond)


MARKERS = ("/harness.py", "987654", "bwrap")


def _parent_and_uid(pid: int) -> tuple[int, int]:
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
    return int(fields.get("PPid", "0").split()[0]), int(fields.get("Uid", "-1").split()[0])


def _started_elsewhere(pid: int) -> bool:
    """Whether the sandbox process ``pid`` descends from another live process than this one
    (a sandbox of someone else's run on the same machine; escaped ones hang from init)."""
    seen = 0
    try:
        while seen < 64:
            parent, uid = _parent_and_uid(pid)
            if uid != SANDBOX_UID:
                return pid not in (os.getpid(), 1)
            if parent <= 1:
                return False
            pid, seen = parent, seen + 1
    except (OSError, ValueError):
        return False
    return False


def sandbox_processes() -> list[str]:
    """Live (non-zombie) sandbox processes on the host started by this test process or escaped
    from it: those of the sandbox user when the tests run as root, else those whose command
    line names the harness, bwrap or a marker."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("State", "").strip().startswith("Z"):
            continue
        uid = int(fields.get("Uid", "-1").split()[0])
        ours = uid == SANDBOX_UID if os.geteuid() == 0 else any(m in cmdline for m in MARKERS)
        if ours and (os.geteuid() != 0 or not _started_elsewhere(int(pid))):
            found.append(f"{pid} {fields.get('Name', '').strip()}")
    return found


def wait_no_sandbox_processes(timeout: float = 3.0) -> list[str]:
    """Wait until no sandbox process is alive; return the survivors (empty when none)."""
    deadline = time.monotonic() + timeout
    left = sandbox_processes()
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = sandbox_processes()
    return left
