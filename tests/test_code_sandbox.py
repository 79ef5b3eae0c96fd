"""The sandboxed runner: one status per failure kind, comparisons, captured output, setup errors."""

from __future__ import annotations

import pytest
from textgrad_sci.losses.sandbox import (
    Limits,
    Sandbox,
    SandboxUnavailable,
    TestCase,
)

LIMITS = Limits(test_timeout_s=0.5, startup_s=1.5, cpu_s=5, memory_mb=256, nproc=16)


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(LIMITS, warm=1) as sb:
        yield sb


def one(sandbox: Sandbox, code: str, expected=1, args=(1,), entry="f", **kw):
    result = sandbox.run(code, [TestCase(args=list(args), expected=expected, **kw)], entry)
    assert result.sandboxed
    return result.tests[0]


def test_passed_and_wrong_answer_show_input_expected_actual(sandbox):
    code = "def add(a, b):\n    print('adding', a, b)\n    return a + b\n"
    tests = [TestCase(args=[1, 2], expected=3), TestCase(args=[2, 2], expected=5)]
    result = sandbox.run(code, tests, "add")
    ok, bad = result.tests
    assert (ok.status, bad.status) == ("passed", "wrong_answer")
    assert (bad.input, bad.expected, bad.actual) == ("2, 2", "5", "4")
    assert ok.stdout == "adding 1 2\n"
    assert ok.time_s >= 0 and result.passed == 1 and result.total == 2


def test_runtime_error_traceback_is_trimmed_to_solution_frames(sandbox):
    code = "def helper(x):\n    return 10 // x\n\ndef f(x):\n    return helper(x - 1)\n"
    t = one(sandbox, code)
    assert t.status == "runtime_error"
    assert "ZeroDivisionError" in t.error
    assert "solution line 5, in f\n    return helper(x - 1)" in t.traceback
    assert "solution line 2, in helper\n    return 10 // x" in t.traceback
    assert "harness" not in t.traceback and "/usr/lib" not in t.traceback


def test_compile_error_names_the_line(sandbox):
    result = sandbox.run("def f(x)\n    return x\n", [TestCase(args=[1], expected=1)] * 2, "f")
    assert [t.status for t in result.tests] == ["compile_error", "compile_error"]
    assert "line 1: def f(x)" in result.tests[0].traceback
    assert result.tests[0].input == "1"


def test_missing_entry_point_is_a_runtime_error(sandbox):
    t = one(sandbox, "def g(x):\n    return x\n")
    assert t.status == "runtime_error" and "does not define 'f'" in t.error


def test_per_test_time_limit_then_next_test_runs(sandbox):
    code = "def f(x):\n    while x:\n        pass\n    return x\n"
    result = sandbox.run(
        code, [TestCase(args=[1], expected=1), TestCase(args=[0], expected=0)], "f"
    )
    assert [t.status for t in result.tests] == ["time_limit", "passed"]


def test_loop_that_swallows_the_timeout_is_killed_by_the_wall_clock(sandbox):
    code = (
        "import time\n"
        "def f(x):\n"
        "    while True:\n"
        "        try:\n"
        "            time.sleep(10)\n"
        "        except BaseException:\n"
        "            pass\n"
    )
    result = sandbox.run(
        code, [TestCase(args=[1], expected=1), TestCase(args=[2], expected=2)], "f"
    )
    assert result.killed == "wall_clock"
    assert [t.status for t in result.tests] == ["time_limit", "not_run"]
    assert "wall-clock" in result.tests[0].error
    assert result.wall_s < LIMITS.wall_for(2) + 1.5


def test_memory_limit(sandbox):
    t = one(sandbox, "def f(x):\n    return len(bytearray(2 * 1024 ** 3))\n")
    assert t.status == "memory_limit"


def test_exit_mid_test_is_a_runtime_error(sandbox):
    result = sandbox.run(
        "import os\ndef f(x):\n    os._exit(3)\n", [TestCase(args=[1], expected=1)] * 2, "f"
    )
    assert [t.status for t in result.tests] == ["runtime_error", "not_run"]
    assert "exited with code 3" in result.tests[0].error


def test_float_tolerance_and_unordered_comparisons(sandbox):
    assert one(sandbox, "def f(x):\n    return 0.1 + 0.2\n", 0.3, compare="float").passed
    assert not one(sandbox, "def f(x):\n    return 0.1 + 0.2\n", 0.3).passed
    unordered = "def f(x):\n    return [[3, 4], (1, 2)]\n"
    assert one(sandbox, unordered, [[1, 2], [3, 4]], compare="unordered").passed
    assert not one(sandbox, unordered, [[1, 2], [3, 5]], compare="unordered").passed


def test_class_method_entry_point(sandbox):
    code = "class Solution:\n    def twice(self, x):\n        return 2 * x\n"
    assert one(sandbox, code, 4, (2,), entry="Solution.twice").passed


def test_assert_source_tests_report_actual_and_expected(sandbox):
    code = "def inc(x):\n    return x + 2\n"
    tests = [
        TestCase(source="assert candidate(1) == 2"),
        TestCase(source="assert candidate(0) > 5"),
        TestCase(source="import math\nassert math.floor(candidate(0.5)) == 2"),
    ]
    a, b, c = sandbox.run(code, tests, "inc").tests
    assert (a.status, a.actual, a.expected) == ("wrong_answer", "3", "2")
    assert b.status == "wrong_answer" and b.error == "the assertion failed"
    assert c.status == "passed"


def test_output_and_values_are_truncated():
    limits = Limits(test_timeout_s=1.0, output_chars=100, value_chars=50, output_bytes=1000)
    with Sandbox(limits) as sb:
        code = (
            "import os\ndef f(x):\n    print('y' * 10000)\n"
            "    os.write(1, b'z' * 50000)\n    return 'x' * 1000\n"
        )
        result = sb.run(code, [TestCase(args=[1], expected="")], "f")
    t = result.tests[0]
    assert len(t.actual) < 120 and "more characters" in t.actual
    assert t.stdout.startswith("y" * 100) and "truncated" in t.stdout
    assert len(result.stdout) < 1100 and "truncated" in result.stdout


def test_missing_bubblewrap_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        Sandbox()


def test_unsandboxed_execution_needs_the_loud_option_and_warns(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.warns(RuntimeWarning, match="WITHOUT A SANDBOX"):
        sb = Sandbox(LIMITS, allow_unsandboxed_execution_i_understand_the_risk=True)
    result = sb.run("def f(x):\n    return x\n", [TestCase(args=[1], expected=1)], "f")
    assert result.all_passed and not result.sandboxed


def test_each_run_gets_a_fresh_sandbox(sandbox):
    code = (
        "import os\n"
        "def f(x):\n"
        "    seen = os.path.exists('/tmp/marker')\n"
        "    open('/tmp/marker', 'w').write('1')\n"
        "    return seen\n"
    )
    first = one(sandbox, code, False)
    second = one(sandbox, code, False)
    assert first.passed and second.passed


def test_process_limit_binds_inside_the_sandbox(sandbox):
    code = (
        "import os, time\n"
        "def f(x):\n"
        "    n = 0\n"
        "    try:\n"
        "        while n < 200:\n"
        "            if os.fork() == 0:\n"
        "                time.sleep(5)\n"
        "                os._exit(0)\n"
        "            n += 1\n"
        "    except OSError:\n"
        "        pass\n"
        "    return n\n"
    )
    t = one(sandbox, code, -1)
    assert t.status == "wrong_answer"
    assert 0 < int(t.actual) < LIMITS.nproc  # as root, RLIMIT_NPROC would not bind


def test_code_runs_as_the_unprivileged_user_without_secrets(sandbox, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-FAKE")
    code = "import os\ndef f(x):\n    return [os.getuid(), sorted(os.environ), os.listdir('/')]\n"
    t = one(sandbox, code, None)
    uid, env, root = eval(t.actual)  # noqa: S307 - the test's own repr
    assert uid != 0
    assert env == ["HOME", "LANG", "PATH", "PWD", "PYTHONHASHSEED"]  # PWD: set by bubblewrap
    assert "home" not in root and "root" not in root and "work" not in root
