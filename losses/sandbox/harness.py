"""The test harness that runs INSIDE the sandbox (stdlib only; ``python -I -S harness.py FD``).

Protocol: writes ``{"ready": true}`` to fd FD at start, reads one job (marshal) from stdin, writes
one JSON line per event to FD: ``{"start": i}`` before test ``i``, ``{"result": {...}}`` after
it, and ``{"done": true}`` at the end. Every line after the first starts with the job's nonce.
"""

import _signal as signal  # the C module: "signal" imports enum, which costs start-up
import builtins
import io
import marshal
import math
import os
import resource
import sys
import time

SOLUTION = "<solution>"
TEST = "<test>"


class _TestTimeout(BaseException):
    """Raised by the per-test timer (a BaseException, so ``except Exception`` does not stop it)."""


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


def _short(value, cap):
    try:
        text = repr(value)
    except BaseException as err:  # noqa: BLE001 - a hostile __repr__ must not stop the harness
        text = f"<unrepresentable {type(value).__name__}: {type(err).__name__}>"
    return text if len(text) <= cap else text[:cap] + f"... [{len(text) - cap} more characters]"


def _frames(tb):
    while tb is not None:
        yield tb.tb_frame.f_code.co_filename, tb.tb_lineno, tb.tb_frame.f_code.co_name
        tb = tb.tb_next


def _exception_line(exc):
    text = str(exc)
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


def _encode(value):
    """JSON for the plain values the harness reports (no ``json`` import: it costs start-up)."""
    if value is None or value is True or value is False:
        return {None: "null", True: "true", False: "false"}[value]
    if type(value) is int:
        return str(value)
    if type(value) is float:
        return repr(value) if math.isfinite(value) else "null"
    if type(value) is str:
        return '"' + value.translate(_ESCAPES) + '"'
    if isinstance(value, dict):
        return "{" + ",".join(_encode(str(k)) + ":" + _encode(v) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(map(_encode, value)) + "]"
    return _encode(repr(value))


def _status_of(exc):
    if isinstance(exc, _TestTimeout):
        return "time_limit"
    if isinstance(exc, MemoryError):
        return "memory_limit"
    return "runtime_error"


def _plain(value):
    """Tuples as lists, recursively, so values compare like their JSON form."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _close(a, b, rel, abs_tol):
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y, rel, abs_tol) for x, y in zip(a, b))  # noqa: B905
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], rel, abs_tol) for k in a)
    return a == b


def _equal(actual, expected, compare, tol):
    if compare == "float":
        return _close(actual, expected, tol, tol)
    if compare == "unordered":
        if not isinstance(actual, (list, tuple)):
            return False
        return sorted(map(_encode, map(_plain, actual))) == sorted(
            map(_encode, map(_plain, expected))
        )
    return _plain(actual) == _plain(expected)


class _Runner:
    def __init__(self, job, emit):
        self.job, self.emit = job, emit
        self.cap = job.get("value_chars", 300)
        self.io_cap = job.get("output_chars", 2000)
        self.sources = {SOLUTION: job["code"].splitlines()}
        self.globals = None
        self.entry = None

    def _capture(self, fn):
        """Run ``fn`` with stdout/stderr captured; return (value, error, out, err, seconds)."""
        out, err = _CappedText(self.io_cap), _CappedText(self.io_cap)
        old = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        started = time.perf_counter()
        value = error = None
        try:
            value = fn()
        except BaseException as exc:  # noqa: BLE001 - every failure becomes a result
            error = exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.stdout, sys.stderr = old
        return value, error, out.getvalue(), err.getvalue(), time.perf_counter() - started

    def _timed(self, fn, seconds):
        def run():
            signal.setitimer(signal.ITIMER_REAL, seconds)
            return fn()

        return self._capture(run)

    def load(self):
        """Compile and execute the solution; return a failure result template or None."""
        try:
            code = compile(self.job["code"], SOLUTION, "exec")
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            src = self.sources[SOLUTION]
            text = src[line - 1].strip() if line and 0 < line <= len(src) else ""
            msg = f"{type(exc).__name__}: {getattr(exc, 'msg', exc)}"
            detail = f"line {line}: {text}\n{msg}" if line else msg
            return {"status": "compile_error", "error": msg, "traceback": detail}
        self.globals = {"__name__": "__solution__", "__builtins__": builtins}
        _, error, out, err, secs = self._timed(
            lambda: exec(code, self.globals), self.job.get("load_timeout", 5.0)
        )
        if error is None:
            error = self._resolve_entry()
        if error is not None:
            return {
                "status": _status_of(error),
                "error": f"while loading the solution: {type(error).__name__}: {error}",
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

    def run_test(self, index, test):
        timeout = float(test.get("timeout") or self.job.get("test_timeout", 2.0))
        result = {"index": index, "name": test.get("name", f"test {index + 1}")}
        if "source" in test:
            result.update(self._source_test(test, timeout))
        else:
            result.update(self._io_test(test, timeout))
        return result

    def _io_test(self, test, timeout):
        args, kwargs = test.get("args", []), test.get("kwargs", {})
        shown = ", ".join([_short(a, self.cap) for a in args])
        shown += "".join(f", {k}={_short(v, self.cap)}" for k, v in kwargs.items())
        value, error, out, err, secs = self._timed(lambda: self.entry(*args, **kwargs), timeout)
        result = {"input": shown.lstrip(", "), "expected": _short(test.get("expected"), self.cap)}
        return self._finish(result, value, error, out, err, secs, test, test.get("expected"))

    def _source_test(self, test, timeout):
        source = test["source"]
        self.sources[TEST] = source.splitlines()
        result = {"input": source if len(source) <= self.cap else source[: self.cap] + " ..."}
        namespace = dict(self.globals)
        namespace["candidate"] = self.entry
        split = test.get("split")  # "assert LEFT == RIGHT", split by the host
        if split:

            def run():
                exec(compile(split["setup"], TEST, "exec"), namespace)
                left = eval(compile(split["left"], TEST, "eval"), namespace)
                right = eval(compile(split["right"], TEST, "eval"), namespace)
                return left, right

            value, error, out, err, secs = self._timed(run, timeout)
            actual, expected = value if error is None else (None, None)
            result["expected"] = _short(expected, self.cap) if error is None else ""
            return self._finish(result, actual, error, out, err, secs, test, expected)
        try:
            code = compile(source, TEST, "exec")
        except SyntaxError as exc:
            return {**result, "status": "runtime_error", "error": f"bad test: {exc}"}
        value, error, out, err, secs = self._timed(lambda: exec(code, namespace), timeout)
        if isinstance(error, AssertionError):
            result.update(status="wrong_answer", error="the assertion failed")
            result.update(stdout=out, stderr=err, time_s=secs)
            result["traceback"] = _trimmed_traceback(error, self.sources)
            return result
        return self._finish(result, None, error, out, err, secs, None, None)

    def _finish(self, result, actual, error, out, err, secs, test, expected):
        result.update(stdout=out, stderr=err, time_s=round(secs, 6))
        if error is not None:
            result["status"] = _status_of(error)
            result["error"] = f"{type(error).__name__}: {_short(str(error), self.cap)[1:-1]}"
            if isinstance(error, _TestTimeout):
                result["error"] = "the test ran past its time limit"
            result["traceback"] = _trimmed_traceback(error, self.sources)
            return result
        result["actual"] = _short(actual, self.cap)
        if test is None:
            result["status"] = "passed"
            return result
        try:
            ok = _equal(actual, expected, test.get("compare", "exact"), test.get("tol", 1e-6))
        except BaseException as exc:  # noqa: BLE001 - a hostile __eq__ must not stop the harness
            ok = False
            result["error"] = f"comparison failed: {type(exc).__name__}"
        result["status"] = "passed" if ok else "wrong_answer"
        return result


def _apply_rlimits(limits):
    """Lower this process's limits before any submitted code runs (they cannot be raised
    again without privileges, and they bind: the sandbox user is not root)."""
    for name, (soft, hard) in limits.items():
        resource.setrlimit(getattr(resource, "RLIMIT_" + name), (soft, hard))


def main():
    result_fd = int(sys.argv[1])
    out = os.fdopen(
        os.dup(result_fd), "w", buffering=1, encoding="utf-8", errors="backslashreplace"
    )
    os.close(result_fd)
    nonce = ""

    def emit(record):
        out.write(nonce + _encode(record) + "\n")

    def on_alarm(signum, frame):
        raise _TestTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    emit({"ready": True})
    job = marshal.loads(sys.stdin.buffer.read())  # written by the trusted host
    nonce = job.get("nonce", "")
    _apply_rlimits(job.get("rlimits") or {})
    runner = _Runner(job, emit)
    failure = runner.load()
    tests = job.get("tests", [])
    for index, test in enumerate(tests):
        if failure is not None:
            emit({"result": {"index": index, "name": test.get("name"), **failure}})
            continue
        emit({"start": index})
        emit({"result": runner.run_test(index, test)})
    emit({"done": True})
    out.flush()


if __name__ == "__main__":
    main()
