"""Reading the results channel: only lines with the run's nonce that answer the test asked for.

The harness's supervisor writes ``NONCE\\tINDEX\\tKIND[\\tPAYLOAD]`` lines (see ``harness.py``).
Anything else on the channel, and everything on stdout/stderr, is only output. Tests without a
result get the status of why the run stopped (for the running one) or ``not_run``.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field

from .launcher import Limits
from .results import TestCase, TestResult
from .verdict import Prepared, judge


@dataclass
class Channel:
    """What the channel said, checked: results by index, how the run ended."""

    results: dict[int, bytes] = field(default_factory=dict)
    violation: tuple[int, str] | None = None
    done: bool = False
    exit_code: int | None = None
    ignored: int = 0  # lines without the nonce (output, forgeries)


def parse(raw: bytes, nonce: str, n_tests: int) -> Channel:
    """Check each line: the nonce, then one result per test, in order (the first test without
    one is the one that was running when the run stopped)."""
    ch = Channel()
    key = nonce.encode()
    for line in raw.split(b"\n"):
        parts = line.split(b"\t", 3)
        if len(parts) < 3 or parts[0] != key:
            ch.ignored += bool(line) and line != b"ready"
            continue
        number, kind = parts[1].decode("ascii", "replace"), parts[2]
        payload = parts[3] if len(parts) == 4 else b""
        index = int(number) if number.isdigit() else None
        if ch.violation or ch.done or ch.exit_code is not None:
            ch.violation = ch.violation or (len(ch.results), "a record after the end")
            break
        if kind == b"result" and index is not None and index == len(ch.results) < n_tests:
            ch.results[index] = payload
        elif kind == b"done" and number == "-" and len(ch.results) == n_tests:
            ch.done = True
        elif kind == b"exit" and number == "-":
            text = payload.decode("ascii", "replace")
            ch.exit_code = int(text) if text.lstrip("-").isdigit() else None
        elif kind == b"violation":
            where = index if index is not None else len(ch.results)
            ch.violation = (where, payload.decode("utf-8", "replace")[:200])
        else:
            ch.violation = (len(ch.results), "a record that does not answer the test asked for")
    return ch


def death(killed: str, exit_code: int | None, limits: Limits, wall: float) -> tuple[str, str]:
    """The status and message for the test that was running when the process ended."""
    if killed == "wall_clock":
        return "time_limit", (
            f"killed after the run's wall-clock limit of {wall:g} s "
            "(an endless loop, possibly one that catches the timeout)"
        )
    if killed == "results_flood":
        return "runtime_error", "killed: the code flooded the harness's results channel"
    sig = -exit_code if exit_code is not None and exit_code < 0 else None
    if exit_code is not None and exit_code > 128:
        sig = exit_code - 128
    if sig == signal.SIGXCPU:
        return "time_limit", f"killed after its CPU limit of {limits.cpu_s} s"
    if sig == signal.SIGKILL:
        return "memory_limit", "killed by SIGKILL (most likely out of memory)"
    if sig is not None:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return "runtime_error", f"the process crashed with {name}"
    return "runtime_error", (
        f"the process exited with code {exit_code} during this test (exit() or os._exit())"
    )


def assemble(
    preps: list[Prepared],
    cases: list[TestCase],
    ch: Channel,
    killed: str,
    exit_code: int | None,
    limits: Limits,
) -> list[TestResult]:
    """One result per test, in order, judged on the host."""
    wall = limits.wall_for(len(cases))
    code = ch.exit_code if ch.exit_code is not None else exit_code
    out = []
    stopped = False
    for index, (prep, case) in enumerate(zip(preps, cases, strict=True)):
        base = TestResult(
            index=index,
            name=case.name or f"test {index + 1}",
            status="not_run",
            input=prep.input,
            expected=prep.expected_text,
            verdict=prep.verdict,
        )
        if index in ch.results and not stopped:
            out.append(
                judge(prep, base, ch.results[index], limits.value_chars, limits.output_chars)
            )
            continue
        if not stopped and ch.violation and ch.violation[0] == index:
            base.status = "runtime_error"
            base.error = (
                "the run broke the harness protocol (a forged or flooded report): "
                + ch.violation[1]
            )
        elif not stopped and not ch.done:
            base.status, base.error = death(killed, code, limits, wall)
        else:
            base.error = "not run: the sandbox stopped at an earlier test"
        stopped = True
        out.append(base)
    return out
