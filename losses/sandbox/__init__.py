"""Sandboxed execution of generated code: bubblewrap, resource limits, per-test results."""

from .launcher import (
    INSTALL_HINT,
    SANDBOX_UID,
    Limits,
    SandboxError,
    SandboxUnavailable,
    find_bwrap,
)
from .results import STATUSES, RunResult, TestCase, TestResult
from .runner import UNSANDBOXED_WARNING, Sandbox

__all__ = [
    "INSTALL_HINT",
    "SANDBOX_UID",
    "STATUSES",
    "UNSANDBOXED_WARNING",
    "Limits",
    "RunResult",
    "Sandbox",
    "SandboxError",
    "SandboxUnavailable",
    "TestCase",
    "TestResult",
    "find_bwrap",
]
