"""How a sandboxed Python process is started: bubblewrap arguments, interpreter, user, rlimits."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

SANDBOX_UID = 65534  # "nobody": as root, process limits do not bind, so code never runs as root
INSTALL_HINT = "install it with `apt-get install bubblewrap` (Debian/Ubuntu package 'bubblewrap')"
ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "HOME": "/tmp"}
HARNESS = (Path(__file__).with_name("harness.py")).read_text(encoding="utf-8")
_COMPILE = (
    "import sys, marshal, _frozen_importlib_external as e\n"
    "code = compile(sys.stdin.read(), '/harness.py', 'exec')\n"
    "sys.stdout.buffer.write(e.MAGIC_NUMBER + bytes(12) + marshal.dumps(code))\n"
)
_compiled: dict[str, bytes] = {}
_compiled_lock = threading.Lock()


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the code under test)."""


class SandboxUnavailable(SandboxError):
    """Bubblewrap or a usable interpreter is missing."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run.

    test_timeout_s: per-test timer inside the sandbox; wall_s: the outer wall clock for the whole
    run (default: every test's timeout plus ``startup_s``); cpu_s: CPU seconds (RLIMIT_CPU);
    memory_mb: address space; nproc: processes inside the sandbox; file_mb: largest file;
    tmpfs_mb: size of the private /tmp; output_bytes: stdout/stderr kept per run;
    report_bytes: the largest record of one test's result.
    """

    test_timeout_s: float = 2.0
    wall_s: float | None = None
    startup_s: float = 2.0
    cpu_s: int = 10
    memory_mb: int = 512
    nproc: int = 32
    file_mb: int = 16
    tmpfs_mb: int = 32
    output_bytes: int = 65536
    value_chars: int = 300
    output_chars: int = 2000
    report_bytes: int = 1 << 22  # the largest record of one test (its value, output, traceback)

    def wall_for(self, n_tests: int) -> float:
        if self.wall_s is not None:
            return self.wall_s
        return self.startup_s + self.test_timeout_s * max(1, n_tests)


@dataclass(frozen=True)
class Mounts:
    """Extra read-only content inside the sandbox: ``binds`` (host path, sandbox path), ``files``
    (sandbox path, text; may cover a file of a bound directory) and ``sys_path`` (sandbox
    directories the harness appends to ``sys.path``; ``host_sys_path`` when unsandboxed)."""

    binds: tuple[tuple[str, str], ...] = ()
    files: tuple[tuple[str, str], ...] = ()
    sys_path: tuple[str, ...] = ()
    host_sys_path: tuple[str, ...] = ()


def find_bwrap() -> str:
    """The bubblewrap executable on ``$PATH``; a clear error saying how to install it if absent."""
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, and generated code is only run inside it: "
            + INSTALL_HINT
        )
    return path


def _others_can_run(path: str) -> bool:
    """Whether a user with no relation to the owner can reach and execute ``path``."""
    p = Path(path)
    try:
        if not p.stat().st_mode & stat.S_IXOTH:
            return False
        return all(parent.stat().st_mode & stat.S_IXOTH for parent in p.parents)
    except OSError:
        return False


def sandbox_python(python: str | None = None) -> str:
    """The interpreter to run inside the sandbox: ``python`` if given, else this one if the
    sandbox user can run it, else the system ``python3``."""
    if python:
        return os.path.realpath(python)
    own = os.path.realpath(sys.executable)
    if os.geteuid() != 0 or _others_can_run(own):
        return own
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"):
        real = os.path.realpath(candidate)
        if os.path.exists(real) and _others_can_run(real):
            return real
    raise SandboxUnavailable(
        f"no Python interpreter that uid {SANDBOX_UID} can run: {own} is not readable by other "
        "users; install the system python3 or pass python=PATH"
    )


def harness_pyc(python: str) -> bytes:
    """The harness compiled once by the sandbox's own interpreter, as a .pyc (it then starts
    without compiling its source each run); the source itself when that fails."""
    with _compiled_lock:
        if python not in _compiled:
            try:
                done = subprocess.run(
                    [python, "-I", "-S", "-c", _COMPILE],
                    input=HARNESS.encode(),
                    capture_output=True,
                    timeout=60,
                    env=dict(ENV),
                    check=True,
                )
                _compiled[python] = done.stdout
            except (OSError, subprocess.SubprocessError):
                _compiled[python] = b""
        return _compiled[python] or HARNESS.encode()


def harness_name(data: bytes) -> str:
    return "/harness.py" if data.startswith(HARNESS[:20].encode()) else "/harness.pyc"


def _prefix(python: str) -> str:
    return str(Path(python).parent.parent)


def bwrap_argv(
    python: str,
    limits: Limits,
    result_fd: int,
    control_fd: int,
    harness_fd: int,
    mounts: Mounts | None = None,
    file_fds: tuple[int, ...] = (),
    harness: str = "/harness.py",
) -> list[str]:
    """The bubblewrap command line: all namespaces unshared, read-only system directories,
    a private /tmp, a cleared environment, then ``python -I -S /harness.py fd ctl``. The harness is
    copied in from ``harness_fd``, ``mounts.files`` from ``file_fds``."""
    argv = [find_bwrap(), "--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
    for key, value in ENV.items():
        argv += ["--setenv", key, value]
    argv += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    prefix = _prefix(python)
    if not prefix.startswith("/usr") and prefix != "/":
        argv += ["--ro-bind", prefix, prefix]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--size", str(limits.tmpfs_mb * 1024 * 1024), "--tmpfs", "/tmp"]
    argv += ["--perms", "0444", "--ro-bind-data", str(harness_fd), harness]
    if mounts is not None:
        for src, dst in mounts.binds:
            argv += ["--ro-bind", src, dst]
        for (dst, _text), fd in zip(mounts.files, file_fds, strict=True):
            argv += ["--perms", "0444", "--ro-bind-data", str(fd), dst]
    argv += ["--remount-ro", "/", "--chdir", "/tmp"]
    return argv + [python, "-I", "-S", harness, str(result_fd), str(control_fd)]


def plain_argv(python: str, result_fd: int, control_fd: int) -> list[str]:
    """The same harness without a sandbox (only behind the loudly named option)."""
    return [python, "-I", "-S", "-c", HARNESS, str(result_fd), str(control_fd)]


def rlimits(limits: Limits, sandboxed: bool) -> dict[str, tuple[int, int]]:
    """The resource limits the harness sets on itself before running submitted code."""
    memory = limits.memory_mb * 1024 * 1024
    size = limits.file_mb * 1024 * 1024
    cpu = int(limits.cpu_s)
    out = {
        "CORE": (0, 0),
        "CPU": (cpu, cpu + 1),
        "AS": (memory, memory),
        "FSIZE": (size, size),
    }
    if sandboxed:  # inside the sandbox's user namespace the count is the sandbox's own
        out["NPROC"] = (limits.nproc, limits.nproc)
    return out


def user_args(uid: int | None) -> dict:
    """``Popen`` arguments that start bubblewrap as the unprivileged sandbox user when root."""
    if uid is None or os.geteuid() != 0:
        return {}
    return {"user": uid, "group": uid, "extra_groups": []}
