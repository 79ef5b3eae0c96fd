"""The test harness that runs INSIDE the sandbox (stdlib only; ``python -I -S harness.py FD CTL``).

Two processes. The supervisor (trusted harness code only) makes itself non-dumpable (so that
the runner, the same user, can neither trace it nor open its fds), then forks the runner. It
holds the results channel FD, which the host opened, and reads the run's nonce from CTL after
the fork, so neither ever reaches the runner. The runner reads its job from stdin, runs the
solution and its tests and reports each test to the supervisor on a private pipe: ``R<i>
<json>`` after test ``i``, ``D`` at the end. The supervisor checks the order (one result per
test, in order) and writes ``NONCE\tINDEX\tKIND[\tPAYLOAD]`` lines to the channel: ``result``,
``violation``, then ``done`` or ``exit`` (with the runner's exit status). The first line is
``ready``.

Expected values never come here: the runner reports each test's value as plain JSON data and
the host compares. Source tests the host could not split are run here and their verdict is
reported (the host marks it as a verdict from inside the sandbox).
"""

import _signal as signal  # the C module: "signal" imports enum, which costs start-up
import builtins
import gc
import io
import marshal
import math
import os
import resource
import select
import sys
import time

SOLUTION = "<solution>"
TEST = "<test>"
MAX_DEPTH = 100


class _TestTimeout(BaseException):
    """Raised by the per-test timer (a BaseException, so ``except Exception`` does not stop it)."""


class _NotPlain(Exception):
    """A value that is not plain data (the message names its type)."""


class _CappedText(io.TextIOBase):
    """A text sink that keeps at most ``cap`` characters."""

    def __init__(self, cap):
        self.cap, self.parts, self.size, self.dropped = cap, [], 0, 0

    def writable(self):
        return True

    def write(self, s):
        s = str(s)
        room = self.cap - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(room, len(s))
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def getvalue(self):
        text = "".join(self.parts)
        return text + (f"\n... [{self.dropped} more characters truncated]" if self.dropped else "")


def _frames(tb):
    while tb is not None:
        yield tb.tb_frame.f_code.co_filename, tb.tb_lineno, tb.tb_frame.f_code.co_name
        tb = tb.tb_next


def _exception_line(exc):
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001 - a hostile __str__ must not stop the harness
        text = ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _trimmed_traceback(exc, sources, max_frames=8):
    """The traceback limited to the solution's (and test's) frames, with their source lines."""
    frames = [f for f in _frames(exc.__traceback__) if f[0] in sources]
    lines = []
    if len(frames) > max_frames:
        lines.append(f"  ... {len(frames) - max_frames} earlier frames omitted")
        frames = frames[-max_frames:]
    for filename, lineno, name in frames:
        src = sources[filename]
        text = src[lineno - 1].strip() if lineno and 0 < lineno <= len(src) else ""
        where = "solution" if filename == SOLUTION else "test"
        lines.append(f"  {where} line {lineno}, in {name}\n    {text}")
    lines.append(_exception_line(exc))
    return "Traceback (solution frames):\n" + "\n".join(lines)


_ESCAPES = {i: f"\\u{i:04x}" for i in range(32)}
_ESCAPES[ord('"')] = '\\"'
_ESCAPES[ord("\\")] = "\\\\"
_ESCAPES.update({i: f"\\u{i:04x}" for i in range(0xD800, 0xE000)})  # lone surrogates


def _text(value):
    return '"' + str(value).translate(_ESCAPES) + '"'


def _plain(value, depth=0):
    """``value`` as JSON text if it is plain data (exact bool, int, float, str, None, and lists,
    tuples and str-keyed dicts of those); else raise :class:`_NotPlain` naming the type. Only
    exact builtin types are looked at, so no method of the value itself runs."""
    kind = type(value)
    if value is None or value is True or value is False:
        return "null" if value is None else ("true" if value else "false")
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if math.isfinite(value):
            return float.__repr__(value)
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if kind is str:
        return _text(value)
    if depth > MAX_DEPTH:
        raise _NotPlain(f"value nested more than {MAX_DEPTH} levels deep")
    if kind is list or kind is tuple:
        return "[" + ",".join([_plain(v, depth + 1) for v in value]) + "]"
    if kind is dict:
        parts = []
        for k, v in dict.items(value):
            if type(k) is not str:
                raise _NotPlain(f"dict with a {type(k).__name__} key")
            parts.append(_text(k) + ":" + _plain(v, depth + 1))
        return "{" + ",".join(parts) + "}"
    raise _NotPlain(kind.__name__)


def _copy(value, depth=0):
    """A copy of plain data made of exact builtin types (tuples kept), else :class:`_NotPlain`:
    what test code receives from ``candidate``, so no object of the solution's reaches it."""
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is float or kind is str:
        return value
    if depth > MAX_DEPTH:
        raise _NotPlain(f"value nested more than {MAX_DEPTH} levels deep")
    if kind is list:
        return [_copy(v, depth + 1) for v in value]
    if kind is tuple:
        return tuple([_copy(v, depth + 1) for v in value])
    if kind is dict:
        out = {}
        for k, v in dict.items(value):
            if type(k) is not str:
                raise _NotPlain(f"dict with a {type(k).__name__} key")
            out[k] = _copy(v, depth + 1)
        return out
    raise _NotPlain(kind.__name__)


def _encode(value):
    """JSON for the harness's own records (strings, numbers, bools, dicts of those)."""
    if isinstance(value, dict):
        return "{" + ",".join(_text(k) + ":" + _encode(v) for k, v in value.items()) + "}"
    if isinstance(value, str):
        return _text(value)
    return _plain(value)


def _status_of(exc):
    if isinstance(exc, _TestTimeout):
        return "time_limit"
    if isinstance(exc, MemoryError):
        return "memory_limit"
    return "runtime_error"


class _Runner:
    """Loads the solution and runs one test at a time (in the runner process)."""

    def __init__(self, job):
        self.job = job
        self.io_cap = job.get("output_chars", 2000)
        self.sources = {SOLUTION: job["code"].splitlines()}
        self.globals = None
        self.entry = None
        self.compiled = {}

    def candidate(self, *args, **kwargs):
        """The entry point as test code sees it: its result copied as plain data."""
        return _copy(self.entry(*args, **kwargs))

    def _capture(self, fn, seconds):
        """Run ``fn`` under the per-test timer with stdout/stderr captured; return
        (value, error, out, err, seconds)."""
        out, err = _CappedText(self.io_cap), _CappedText(self.io_cap)
        old = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        started = time.perf_counter()
        value = error = None
        try:
            signal.setitimer(signal.ITIMER_REAL, seconds)
            value = fn()
        except BaseException as exc:  # noqa: BLE001 - every failure becomes a result
            error = exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.stdout, sys.stderr = old
        return value, error, out.getvalue(), err.getvalue(), time.perf_counter() - started

    def _code(self, source, mode):
        key = (source, mode)
        if key not in self.compiled:
            self.compiled[key] = compile(source, TEST, mode)
        return self.compiled[key]

    def load(self):
        """Compile and execute the solution; return a failure record or None."""
        try:
            code = compile(self.job["code"], SOLUTION, "exec")
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            src = self.sources[SOLUTION]
            text = src[line - 1].strip() if line and 0 < line <= len(src) else ""
            msg = f"{type(exc).__name__}: {getattr(exc, 'msg', exc)}"
            detail = f"line {line}: {text}\n{msg}" if line else msg
            return {"status": "compile_error", "error": msg, "traceback": detail}
        for path in self.job.get("sys_path", ()):
            sys.path.append(path)
        self.globals = {"__name__": "__solution__", "__builtins__": builtins}
        _, error, out, err, _secs = self._capture(
            lambda: exec(code, self.globals), self.job.get("load_timeout", 5.0)
        )
        if error is None:
            error = self._resolve_entry()
        if error is not None:
            return {
                "status": _status_of(error),
                "error": "while loading the solution: " + _exception_line(error),
                "traceback": _trimmed_traceback(error, self.sources),
                "stdout": out,
                "stderr": err,
            }
        return None

    def _resolve_entry(self):
        name = self.job.get("entry_point") or ""
        if not name:
            return None
        head, _, method = name.partition(".")
        obj = self.globals.get(head)
        if obj is None:
            return NameError(f"the solution does not define {head!r}")
        if method:
            if not hasattr(obj, method):
                return AttributeError(f"class {head!r} has no method {method!r}")
            self.entry = lambda *a, **k: getattr(obj(), method)(*a, **k)
        elif not callable(obj):
            return TypeError(f"{head!r} is not callable")
        else:
            self.entry = obj
        return None

    def run_test(self, test):
        """One test's record: its plain value (or why there is none), output and time."""
        timeout = float(test.get("timeout") or self.job.get("test_timeout", 2.0))
        kind = test.get("kind")
        if kind == "exec":
            return self._exec_test(test, timeout)
        if kind == "call":
            args, kwargs = test.get("args", []), test.get("kwargs", {})

            def value():
                return _plain(self.entry(*args, **kwargs))
        else:  # "eval": bind names, run the setup, evaluate an expression
            self.sources[TEST] = (test.get("setup", "") + "\n" + test["expr"]).splitlines()

            def value():
                namespace = dict(self.globals)
                namespace["candidate"] = self.candidate
                namespace.update(test.get("bind", {}))
                if test.get("setup"):
                    exec(self._code(test["setup"], "exec"), namespace)
                return _plain(eval(self._code(test["expr"], "eval"), namespace))

        encoded, error, out, err, secs = self._capture(value, timeout)
        record = {"stdout": out, "stderr": err, "time_s": round(secs, 6)}
        if isinstance(error, _NotPlain):
            record["not_plain"] = str(error.args[0] if error.args else "object")
        elif error is not None:
            record.update(self._failure(error))
        else:
            record["value"] = _Raw(encoded)
        return record

    def _exec_test(self, test, timeout):
        source = test["source"]
        self.sources[TEST] = source.splitlines()
        try:
            code = self._code(source, "exec")
        except SyntaxError as exc:
            return {"status": "runtime_error", "error": f"bad test: {exc}"}
        namespace = dict(self.globals)
        namespace["candidate"] = self.candidate
        _, error, out, err, secs = self._capture(lambda: exec(code, namespace), timeout)
        record = {"stdout": out, "stderr": err, "time_s": round(secs, 6)}
        if isinstance(error, _NotPlain):
            record["not_plain"] = str(error.args[0] if error.args else "object")
        elif isinstance(error, AssertionError):
            record.update(status="wrong_answer", error="the assertion failed")
            record["traceback"] = _trimmed_traceback(error, self.sources)
        elif error is not None:
            record.update(self._failure(error))
        else:
            record["status"] = "passed"
        return record

    def _failure(self, error):
        if isinstance(error, _TestTimeout):
            message = "the test ran past its time limit"
        else:
            line = _exception_line(error)
            cap = self.job.get("value_chars", 300)
            message = line if len(line) <= cap else line[:cap] + " ..."
        return {
            "status": _status_of(error),
            "error": message,
            "traceback": _trimmed_traceback(error, self.sources),
        }


class _Raw(str):
    """JSON text already encoded (a plain value)."""


def _record(record):
    parts = []
    for k, v in record.items():
        parts.append(_text(k) + ":" + (str.__str__(v) if type(v) is _Raw else _encode(v)))
    return "{" + ",".join(parts) + "}"


def _apply_rlimits(limits):
    """Lower this process's limits before any submitted code runs (they cannot be raised
    again without privileges, and they bind: the sandbox user is not root)."""
    for name, (soft, hard) in limits.items():
        resource.setrlimit(getattr(resource, "RLIMIT_" + name), (soft, hard))


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _runner_main(job_fd, report_fd):
    """The runner process: its job comes from the host on stdin, its reports go to the
    supervisor."""
    job = marshal.loads(_read_all(job_fd))  # the host's job (stdin)

    def report(line):
        _write_all(report_fd, (line + "\n").encode("utf-8", "backslashreplace"))

    def on_alarm(signum, frame):
        raise _TestTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    _apply_rlimits(job.get("rlimits") or {})
    runner = _Runner(job)
    failure = runner.load()
    for index, test in enumerate(job.get("tests", [])):
        record = failure if failure is not None else runner.run_test(test)
        report(f"R{index} " + _record(record))
    report("D")


def _nondumpable():
    """PR_SET_DUMPABLE 0: the runner (same user) can neither ptrace this process nor open its
    /proc files (fds, memory). Through ``_ctypes`` directly: ``ctypes`` costs start-up."""
    import _ctypes

    prctl = _ctypes.dlsym(_ctypes.dlopen(None, 2), "prctl")
    if _ctypes.call_function(prctl, (4, 0, 0, 0, 0)) != 0:
        raise OSError("prctl(PR_SET_DUMPABLE) failed")


class _Supervisor:
    """Relays the runner's reports to the channel, checking their order."""

    def __init__(self, channel_fd, pid, n_tests, nonce, line_cap):
        self.fd, self.pid, self.n, self.nonce, self.cap = channel_fd, pid, n_tests, nonce, line_cap
        self.next, self.done = 0, False
        self.status = None

    def send(self, index, kind, payload=b""):
        line = self.nonce + b"\t" + str(index).encode() + b"\t" + kind
        _write_all(self.fd, line + (b"\t" + payload if payload else b"") + b"\n")

    def handle(self, line):
        """Forward one report; return False (after sending a violation) when it is out of
        order or malformed."""
        head, _, payload = line.partition(b" ")
        tag, number = head[:1], head[1:]
        index = int(number) if number.isdigit() and len(number) < 9 else -1
        if tag == b"R" and index == self.next < self.n and payload:
            self.next += 1
            self.send(index, b"result", payload)
            return True
        if tag == b"D" and not number and not payload and self.next == self.n:
            self.done = True
            return True
        self.send(self.next, b"violation", b"the runner reported out of order: " + line[:40])
        return False

    def relay(self, report_fd):
        buf = bytearray()
        while not self.done:
            if not select.select([report_fd], [], [], 0.05)[0]:
                if self.status is None:
                    ended, status = os.waitpid(self.pid, os.WNOHANG)
                    if ended:  # a grandchild may still hold the pipe open: read what is left
                        self.status = status
                        continue
                    continue
                return
            chunk = os.read(report_fd, 1 << 20)
            if not chunk:
                return
            buf += chunk
            while not self.done:
                end = buf.find(b"\n")
                if end < 0:
                    break
                line = bytes(buf[:end])
                del buf[: end + 1]
                if not self.handle(line):
                    return
            if len(buf) > self.cap:
                self.send(self.next, b"violation", b"a report longer than the limit")
                return

    def finish(self):
        """``done``, or ``exit`` with the runner's exit status (killed when it still runs)."""
        if self.done:
            self.send("-", b"done")
            return
        if self.status is None:
            try:
                os.kill(self.pid, 9)
            except OSError:
                pass
            self.status = os.waitpid(self.pid, 0)[1]
        self.send("-", b"exit", str(os.waitstatus_to_exitcode(self.status)).encode())


def main():
    channel_fd, control_fd = int(sys.argv[1]), int(sys.argv[2])
    _nondumpable()  # before the fork: the runner inherits it and cannot trace this process
    report_r, report_w = os.pipe()
    gc.freeze()  # the collector then leaves the shared pages alone (fewer copies after fork)
    pid = os.fork()
    if pid == 0:  # the runner: nothing of the channel or the nonce ever reaches it
        code = 0
        try:
            os.close(channel_fd)
            os.close(control_fd)
            os.close(report_r)
            _runner_main(0, report_w)
        except BaseException:  # noqa: BLE001 - the supervisor reports the exit status
            code = 70
        os._exit(code)
    os.close(report_w)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)  # the job on stdin is the runner's
    os.close(null)
    _write_all(channel_fd, b"ready\n")
    control = _read_all(control_fd).split()  # from the host: NONCE TESTS REPORT_BYTES
    os.close(control_fd)
    nonce, n_tests, cap = control[0], int(control[1]), int(control[2])
    supervisor = _Supervisor(channel_fd, pid, n_tests, nonce, cap)
    supervisor.relay(report_r)
    supervisor.finish()
    os._exit(0)  # nothing to clean up: skip the interpreter's shutdown


if __name__ == "__main__":
    main()
