"""Sandboxed execution of generated code: bubblewrap, resource limits, per-test results
judged on the host."""

from .launcher import (
    INSTALL_HINT,
    SANDBOX_UID,
    Limits,
    Mounts,
    SandboxError,
    SandboxUnavailable,
    find_bwrap,
)
from .results import STATUSES, VERDICTS, RunResult, TestCase, TestResult
from .runner import UNSANDBOXED_WARNING, Sandbox

__all__ = [
    "INSTALL_HINT",
    "SANDBOX_UID",
    "STATUSES",
    "UNSANDBOXED_WARNING",
    "VERDICTS",
    "Limits",
    "Mounts",
    "RunResult",
    "Sandbox",
    "SandboxError",
    "SandboxUnavailable",
    "TestCase",
    "TestResult",
    "find_bwrap",
]
