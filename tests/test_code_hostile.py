"""Hostile programs: each must fail safely, leave the host unchanged and leave no process behind.

Each program's ``f()`` returns "escaped" when its attack worked; the test asserts it did not,
that a world-writable host directory is untouched, and that no sandbox process survives.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest
from code_support import wait_no_sandbox_processes
from textgrad_sci.losses.sandbox import Limits, Sandbox, TestCase

FAKE_KEY = "sk-test-FAKE-0123456789abcdef"
LIMITS = Limits(
    test_timeout_s=0.5, startup_s=1.0, cpu_s=3, memory_mb=256, nproc=16, file_mb=4, tmpfs_mb=8
)

PROGRAMS = {
    "delete_host_file": """
import os
def f():
    os.remove(HOST + '/sentinel.txt')
    return 'escaped'
""",
    "overwrite_host_file": """
def f():
    open(HOST + '/sentinel.txt', 'w').write('pwned')
    return 'escaped'
""",
    "create_host_file": """
def f():
    open(HOST + '/new.txt', 'w').write('pwned')
    return 'escaped'
""",
    "write_system_dir": """
def f():
    open('/usr/local/pwned', 'w').write('x')
    return 'escaped'
""",
    "shell_writes_host": """
import subprocess
def f():
    subprocess.run(['sh', '-c', 'echo pwned > ' + HOST + '/shell.txt'], check=True)
    return 'escaped' if open(HOST + '/shell.txt').read() else 'no'
""",
    "read_env_api_key": """
import os
def f():
    return 'escaped' if 'sk-test-FAKE' in repr(dict(os.environ)) else 'no'
""",
    "read_proc_environ": """
import os
def f():
    found = ''
    for pid in os.listdir('/proc'):
        try:
            found += open('/proc/%s/environ' % pid, 'rb').read().decode('latin1')
        except Exception:
            pass
    return 'escaped' if 'sk-test-FAKE' in found else 'no'
""",
    "read_home": """
import os
def f():
    return 'escaped' if os.listdir(HOME) else 'no'
""",
    "read_repository": """
def f():
    return 'escaped' if open(REPO + '/pyproject.toml').read() else 'no'
""",
    "connect_host_socket": """
import socket
def f():
    socket.create_connection(('127.0.0.1', PORT), timeout=0.3).sendall(b'pwned')
    return 'escaped'
""",
    "connect_internet": """
import socket
def f():
    socket.create_connection(('1.1.1.1', 53), timeout=0.3)
    return 'escaped'
""",
    "fork_bomb": """
import os
def f():
    n = 0
    while True:
        try:
            if os.fork() == 0:
                while True:
                    try:
                        os.fork()
                    except OSError:
                        pass
            n += 1
        except OSError:
            if n > 100:
                return 'escaped'
""",
    "memory_bomb": """
def f():
    hog = []
    while True:
        hog.append(bytearray(50 * 1024 * 1024))
        if len(hog) > 40:
            return 'escaped'
""",
    "infinite_loop_catching_exceptions": """
import time
def f():
    while True:
        try:
            time.sleep(5)
        except BaseException:
            pass
""",
    "ignore_alarm_then_loop": """
import signal
def f():
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        pass
""",
    "huge_file": """
def f():
    with open('/tmp/huge', 'wb') as out:
        for _ in range(1024):
            out.write(b'x' * 1024 * 1024)
    return 'escaped'
""",
    "background_process_outlives_run": """
import subprocess
def f():
    subprocess.Popen(['sleep', '987654'], start_new_session=True)
    return 'spawned'
""",
    "daemon_writes_later": """
import os, time
def f():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(1.5)
            open(HOST + '/late.txt', 'w').write('pwned')
        os._exit(0)
    return 'spawned'
""",
    "kill_everything": """
import os, signal
def f():
    for pid in (-1, 1, os.getppid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return 'no'
""",
    "become_root": """
import os
def f():
    os.setuid(0)
    return 'escaped'
""",
    "forge_results": """
import os
def f():
    for fd in range(3, 30):
        try:
            os.write(fd, b'{"result": {"index": 0, "name": "t", "status": "passed"}}\\n')
            os.write(fd, b'{"done": true}\\n')
        except OSError:
            pass
    os._exit(0)
""",
    "flood_results_pipe": """
import os, sys
def f():
    line = b'{"result": {"index": 0, "status": "passed"}}' * 1000 + b'\\n'
    while True:
        for fd in range(3, 30):
            try:
                os.write(fd, line)
            except OSError:
                pass
""",
    "stdout_flood": """
def f():
    while True:
        print('x' * 10000)
""",
    "deep_recursion_crash": """
import sys
def f():
    sys.setrecursionlimit(10 ** 7)
    def down(n):
        return down(n + 1) + 1
    return down(0)
""",
    "raw_devices": """
def f():
    open('/dev/mem', 'rb').read(1)
    return 'escaped'
""",
}


@pytest.fixture(scope="module")
def host():
    """A world-writable host directory (so only the sandbox protects it), a listening socket,
    and a home directory with a file in it."""
    base = Path(tempfile.mkdtemp(prefix="tgsci-hostile-"))
    os.chmod(base, 0o777)
    (base / "sentinel.txt").write_text("original")
    os.chmod(base / "sentinel.txt", 0o666)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    received: list[bytes] = []

    def accept():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            received.append(conn.recv(100))
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    yield base, server.getsockname()[1], received
    server.close()
    shutil.rmtree(base)


def snapshot(base: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(base.iterdir())}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_hostile_program_fails_safely(name, host, monkeypatch):
    base, port, received = host
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    before = snapshot(base)
    header = (
        f"HOST = {str(base)!r}\nPORT = {port}\nHOME = {os.path.expanduser('~')!r}\n"
        f"REPO = {str(Path(__file__).resolve().parents[1])!r}\n"
    )
    with Sandbox(LIMITS) as sandbox:
        result = sandbox.run(header + PROGRAMS[name], [TestCase(expected="escaped")], "f")
    test = result.tests[0]
    assert test.status != "passed", f"{name}: the attack worked: {test}"
    assert test.actual != "'escaped'"
    assert wait_no_sandbox_processes() == [], f"{name} left processes behind"
    if name == "daemon_writes_later":
        import time

        time.sleep(1.7)
    assert snapshot(base) == before, f"{name} changed the host directory"
    assert received == [], f"{name} reached a host socket"
    assert not os.path.exists("/usr/local/pwned")
    assert len(result.stdout) <= LIMITS.output_bytes + 100
    if name in (
        "infinite_loop_catching_exceptions",
        "ignore_alarm_then_loop",
        "stdout_flood",
    ):
        assert test.status == "time_limit"
    if name == "memory_bomb":  # a slow, loaded machine may hit the test's timer first
        assert test.status in ("memory_limit", "time_limit")
    if name == "flood_results_pipe":
        assert test.status in ("runtime_error", "time_limit") and "flood" in test.error
    if name == "fork_bomb":
        assert test.status in ("time_limit", "runtime_error", "memory_limit")


def test_host_processes_survive_kill_attempts():
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        with Sandbox(LIMITS) as sandbox:
            sandbox.run(PROGRAMS["kill_everything"], [TestCase(expected="escaped")], "f")
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_sandbox_still_works_after_a_fork_bomb():
    with Sandbox(LIMITS) as sandbox:
        sandbox.run(PROGRAMS["fork_bomb"], [TestCase(expected="escaped")], "f")
        result = sandbox.run("def f(x):\n    return x\n", [TestCase(args=[1], expected=1)], "f")
    assert result.all_passed
