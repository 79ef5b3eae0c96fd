"""`Sandbox`: run code against tests in a fresh bubblewrap sandbox per run, with warm starts.

Each run uses a sandbox that is never reused: ``warm`` sandboxes are started ahead of time and
wait (idle, before any code arrives) for their one job, which hides the start-up latency.
"""

from __future__ import annotations

import marshal
import os
import secrets
import select
import selectors
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from .channel import assemble, parse
from .launcher import (
    ENV,
    SANDBOX_UID,
    Limits,
    Mounts,
    SandboxError,
    bwrap_argv,
    find_bwrap,
    harness_name,
    harness_pyc,
    plain_argv,
    rlimits,
    sandbox_python,
    user_args,
)
from .results import RunResult, TestCase
from .verdict import prepare

UNSANDBOXED_WARNING = (
    "RUNNING GENERATED CODE WITHOUT A SANDBOX: it can read your files and secrets and use the "
    "network. Only resource limits apply."
)


class _Process:
    """One started (sandboxed) harness process and its pipes."""

    def __init__(self, sandbox: Sandbox):
        read_fd, write_fd = os.pipe()
        control_r, control_w = os.pipe()
        extra: list[int] = [control_r]
        try:
            if sandbox.sandboxed:
                mounts = sandbox.mounts
                harness = harness_pyc(sandbox.python)
                for data in [harness] + [t.encode() for _dst, t in mounts.files]:
                    data_r, data_w = os.pipe()
                    os.write(data_w, data)  # small files: they fit the pipe's buffer
                    os.close(data_w)
                    extra.append(data_r)
                argv = bwrap_argv(
                    sandbox.python,
                    sandbox.limits,
                    write_fd,
                    control_r,
                    extra[1],
                    mounts,
                    tuple(extra[2:]),
                    harness_name(harness),
                )
            else:
                argv = plain_argv(sandbox.python, write_fd, control_r)
            self.popen = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(write_fd, *extra),
                env=dict(ENV),
                cwd="/",
                start_new_session=True,
                **user_args(sandbox.uid),
            )
        except BaseException:
            os.close(read_fd)
            os.close(control_w)
            raise
        finally:
            for fd in (write_fd, *extra):
                os.close(fd)
        self.results_fd = read_fd
        self.control_fd = control_w

    def send_control(self, line: bytes) -> None:
        """The supervisor's part of the job (the nonce): small, so it fits the pipe's buffer."""
        try:
            os.write(self.control_fd, line)
        except OSError:
            pass
        self.close_control()

    def close_control(self) -> None:
        if self.control_fd >= 0:
            os.close(self.control_fd)
            self.control_fd = -1

    def kill(self) -> None:
        """SIGKILL bubblewrap's whole process group (its sandbox init included: the sandbox's
        pid namespace dies with it). Only while the group leader is not yet reaped, so the
        group id cannot belong to another process."""
        if self.popen.returncode is None:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def ready(self) -> bool:
        """Whether the harness has started and waits for its job."""
        return bool(select.select([self.results_fd], [], [], 0)[0])

    def close(self) -> None:
        """Kill, reap bubblewrap, and close every pipe."""
        self.kill()
        self.popen.wait()
        for stream in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            try:
                stream.close()
            except OSError:
                pass
        self.close_control()
        try:
            os.close(self.results_fd)
        except OSError:
            pass

    def close_in_background(self) -> None:
        """Kill now; wait and close pipes on a thread (off the caller's critical path)."""
        self.kill()
        threading.Thread(target=self.close, daemon=True).start()


class Sandbox:
    """Runs a solution against tests, each run in a fresh bubblewrap sandbox.

    limits: see :class:`Limits`. warm: sandboxes kept started ahead of time (0 starts each run
    cold). python: the interpreter inside the sandbox. mounts: extra read-only content (a
    library the tests import). Running without bubblewrap needs the
    explicit ``allow_unsandboxed_execution_i_understand_the_risk=True``.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        warm: int = 0,
        python: str | None = None,
        uid: int = SANDBOX_UID,
        mounts: Mounts | None = None,
        allow_unsandboxed_execution_i_understand_the_risk: bool = False,
    ) -> None:
        self.limits = limits or Limits()
        self.mounts = mounts or Mounts()
        self.sandboxed = not allow_unsandboxed_execution_i_understand_the_risk
        self.python = sandbox_python(python) if self.sandboxed else ""
        self.uid: int | None = uid
        if not self.sandboxed:
            self.python = os.path.realpath(python or sys.executable)
            warnings.warn(UNSANDBOXED_WARNING, RuntimeWarning, stacklevel=2)
            self.uid = None
        else:
            find_bwrap()
        self.warm = warm
        self._idle: list[_Process] = []
        self._lock = threading.Lock()
        self._closed = False
        self._wanted = threading.Event()
        if warm:
            # bubblewrap's --die-with-parent follows the THREAD that started it: warm sandboxes
            # are started by one thread that lives as long as this Sandbox.
            self._spawner = threading.Thread(target=self._spawn_loop, daemon=True)
            self._spawner.start()
            self._wanted.set()

    # -- lifecycle --------------------------------------------------------------------------------
    def _start(self) -> _Process:
        try:
            return _Process(self)
        except OSError as err:
            raise SandboxError(f"could not start the sandbox: {err}") from err

    def _take(self) -> _Process:
        with self._lock:
            proc = self._idle.pop(0) if self._idle else None
        if self.warm:
            self._wanted.set()
        if proc is None or proc.popen.poll() is not None:
            if proc is not None:
                proc.close()
            proc = self._start()
        return proc

    def wait_warm(self, timeout: float = 10.0) -> bool:
        """Wait until ``warm`` sandboxes are started and idle; return whether they are."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                idle = list(self._idle)
            if len(idle) >= self.warm and all(p.ready() for p in idle):
                return True
            time.sleep(0.002)
        return False

    def _spawn_loop(self) -> None:
        """Keep ``warm`` sandboxes started and idle until this Sandbox is closed."""
        while not self._closed:
            self._wanted.wait()
            self._wanted.clear()
            while not self._closed:
                with self._lock:
                    if len(self._idle) >= self.warm:
                        break
                try:
                    proc = self._start()
                except SandboxError:
                    break
                with self._lock:
                    stale = proc if self._closed else None
                    if stale is None:
                        self._idle.append(proc)
                if stale is not None:
                    stale.close()
        with self._lock:
            idle, self._idle = self._idle, []
        for proc in idle:
            proc.close()

    def close(self) -> None:
        """Stop the idle warm sandboxes."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        self._wanted.set()
        for proc in idle:
            proc.close()
        spawner = getattr(self, "_spawner", None)
        if spawner is not None and spawner is not threading.current_thread():
            spawner.join(timeout=5)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    # -- running ----------------------------------------------------------------------------------
    def run(self, code: str, tests: Sequence[TestCase | dict], entry_point: str = "") -> RunResult:
        """Run ``code`` against ``tests``; every failure of the code becomes a test status.
        Raises :class:`SandboxError` only when the sandbox itself cannot run."""
        cases = [t if isinstance(t, TestCase) else TestCase.from_dict(t) for t in tests]
        nonce = secrets.token_hex(16)
        limits = self.limits
        preps = [prepare(c, limits.value_chars) for c in cases]
        job = {
            "code": code,
            "entry_point": entry_point,
            "tests": [p.job for p in preps],
            "test_timeout": limits.test_timeout_s,
            "load_timeout": limits.test_timeout_s,
            "rlimits": rlimits(limits, self.sandboxed),
            "value_chars": limits.value_chars,
            "output_chars": limits.output_chars,
            "report_bytes": limits.report_bytes,
            "sys_path": list(self.mounts.sys_path if self.sandboxed else self.mounts.host_sys_path),
        }
        # The nonce goes to the supervisor only (control pipe); the runner gets the job (stdin).
        control = f"{nonce} {len(cases)} {limits.report_bytes}\n".encode()
        payload = (control, marshal.dumps(job))
        for attempt in range(2):
            proc = self._take()
            try:
                return self._collect(proc, payload, preps, cases, nonce)
            except SandboxError:
                if attempt == 1:
                    raise
            finally:
                proc.close_in_background()
        raise AssertionError("unreachable")

    def run_many(
        self, jobs: Sequence[tuple[str, Sequence[TestCase | dict], str]], workers: int = 2
    ) -> list[RunResult]:
        """Run several ``(code, tests, entry_point)`` jobs, ``workers`` sandboxes at a time."""
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            return list(pool.map(lambda job: self.run(*job), jobs))

    def _collect(
        self,
        proc: _Process,
        payload: tuple[bytes, bytes],
        preps: list,
        cases: list[TestCase],
        nonce: str,
    ) -> RunResult:
        started = time.perf_counter()
        deadline = started + self.limits.wall_for(len(cases))
        ending = nonce.encode() + b"\t-\t"
        proc.send_control(payload[0])
        writer = threading.Thread(target=_feed, args=(proc.popen.stdin, payload[1]), daemon=True)
        writer.start()
        sel = selectors.DefaultSelector()
        buffers = {"out": bytearray(), "err": bytearray(), "res": bytearray()}
        sel.register(proc.popen.stdout, selectors.EVENT_READ, "out")
        sel.register(proc.popen.stderr, selectors.EVENT_READ, "err")
        sel.register(proc.results_fd, selectors.EVENT_READ, "res")
        cap = self.limits.output_bytes
        results_cap = self.limits.report_bytes + len(cases) * 4 * (self.limits.output_chars + 1000)
        killed, done, ready = "", False, False
        open_streams = 3
        while open_streams and not done:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                killed = "wall_clock"
            if killed:
                break
            for key, _ in sel.select(timeout=min(remaining, 0.5)):
                fd = key.fd if key.data == "res" else key.fileobj.fileno()
                chunk = os.read(fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                    open_streams -= 1
                    continue
                buf = buffers[key.data]
                limit = results_cap if key.data == "res" else cap
                if len(buf) < limit:
                    buf.extend(chunk[: limit - len(buf)])
                elif key.data == "res":
                    killed = "results_flood"
                    break
                if key.data == "res":
                    ready = ready or buf.startswith(b"ready\n")
                    done = buf.endswith(b"\n") and ending in buf[-120:]
            if proc.popen.poll() is not None and not done and open_streams:
                # The process ended: read what is left without waiting for grandchildren.
                _drain(sel, buffers, cap)
                break
        sel.close()
        exit_code = None
        if not done:  # the exit status tells why the harness stopped
            proc.kill()
            exit_code = proc.popen.wait()
        wall = time.perf_counter() - started
        stderr = buffers["err"].decode("utf-8", "replace")
        if not ready and not killed:
            raise SandboxError(f"the sandbox did not start: {stderr.strip() or exit_code}")
        channel = parse(bytes(buffers["res"]), nonce, len(cases))
        tests = assemble(preps, cases, channel, killed, exit_code, self.limits)
        return RunResult(
            tests=tests,
            wall_s=wall,
            exit_code=exit_code,
            killed=killed,
            stdout=_text(buffers["out"], cap),
            stderr=_text(buffers["err"], cap),
            sandboxed=self.sandboxed,
        )


def _feed(stream, payload: bytes) -> None:
    try:
        stream.write(payload)
        stream.close()
    except (BrokenPipeError, OSError, ValueError):
        pass


def _drain(sel: selectors.BaseSelector, buffers: dict, cap: int) -> None:
    for key, _ in sel.select(timeout=0.05):
        fd = key.fd if key.data == "res" else key.fileobj.fileno()
        try:
            chunk = os.read(fd, 1 << 20)
        except OSError:
            continue
        buf = buffers[key.data]
        buf.extend(chunk if key.data == "res" else chunk[: max(0, cap - len(buf))])


def _text(buf: bytearray, cap: int) -> str:
    text = buf.decode("utf-8", "replace")
    return text + "\n... [output truncated]" if len(buf) >= cap else text
