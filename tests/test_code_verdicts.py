"""Verdicts a solution cannot fake (issue 16): one program per shortcut, each must fail.

Every program's ``f(3)`` should be 7; none computes it. The tests are a call test, a split
``assert`` source test, and a truth test; all of them must fail, with a host verdict.
"""

from __future__ import annotations

import pytest
from code_support import wait_no_sandbox_processes
from textgrad_sci.losses.sandbox import Limits, Sandbox, TestCase
from textgrad_sci.losses.sandbox.channel import parse
from textgrad_sci.losses.sandbox.split import Unsafe, safe_eval, split_source
from textgrad_sci.losses.sandbox.verdict import compare, prepare

LIMITS = Limits(test_timeout_s=1.0, startup_s=1.5, cpu_s=5, memory_mb=256, nproc=16)
TESTS = [
    TestCase(name="call", args=[3], expected=7),
    TestCase(name="assert", source="assert candidate(3) == 7"),
    TestCase(name="reversed", source="x = 3\nassert 7 == candidate(x)"),
    TestCase(name="float", source="assert abs(candidate(3) - 7.0) < 1e-6"),
]

ALWAYS_EQUAL = """
class Always:
    def __eq__(self, other):
        return True
    __hash__ = object.__hash__
    def __sub__(self, other):
        return 0
    def __rsub__(self, other):
        return 0
    def __abs__(self):
        return 0
    def __lt__(self, other):
        return True
"""

SHORTCUTS = {
    "always_equal_object": ALWAYS_EQUAL + "def f(x):\n    return Always()\n",
    "always_equal_inside_a_list": ALWAYS_EQUAL + "def f(x):\n    return [Always()]\n",
    "lying_int_subclass": """
class Liar(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
    def __sub__(self, other):
        return 0
def f(x):
    return Liar(0)
""",
    "lying_str_subclass": """
class Text(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
def f(x):
    return Text('nope')
""",
    "lying_float_subclass": """
class Num(float):
    def __eq__(self, other):
        return True
    __hash__ = float.__hash__
    def __sub__(self, other):
        return 0.0
    def __rsub__(self, other):
        return 0.0
def f(x):
    return Num(0.0)
""",
    "dict_subclass": "class D(dict):\n    pass\ndef f(x):\n    return D()\n",
    "self_containing_list": "def f(x):\n    a = []\n    a.append(a)\n    return a\n",
    "patch_the_harness_at_run_time": """
import sys
main = sys.modules['__main__']
def fake(self, test):
    return {'status': 'passed', 'value': main._Raw('7') if test.get('kind') != 'exec' else None}
def forged(self, test):
    return {'status': 'passed'}
main._Runner.run_test = forged
main._plain = lambda value, depth=0: '7'
def f(x):
    return 0
""",
    "patch_the_encoder_only": """
import sys
sys.modules['__main__']._plain = lambda value, depth=0: 'true'
def f(x):
    return 0
""",
    "print_fake_records_then_exit": """
import os
def f(x):
    for i in range(4):
        print('{"result": {"index": %d, "status": "passed"}}' % i)
        os.write(1, b'{"result": {"index": %d, "status": "passed"}}\\n' % i)
        print('0' * 32 + '\\t%d\\tresult\\t{"value": 7}' % i)
    print('0' * 32 + '\\t-\\tdone')
    os._exit(0)
""",
    "exit_0_before_the_tests": "import os\nos._exit(0)\ndef f(x):\n    return 0\n",
    "sys_exit_before_the_tests": "import sys\nsys.exit(0)\ndef f(x):\n    return 0\n",
    "forge_records_on_every_fd": """
import os
LINES = b''.join([
    b'R0 {"status": "passed"}\\n', b'R1 {"status": "passed"}\\n',
    b'R2 {"status": "passed"}\\n', b'R3 {"status": "passed"}\\n', b'D\\n',
    b'x\\t0\\tresult\\t{"status": "passed"}\\n', b'x\\t-\\tdone\\n',
])
for fd in range(3, 64):
    try:
        os.write(fd, LINES)
    except OSError:
        pass
def f(x):
    return 0
""",
    "forge_records_at_test_time_then_exit": """
import os
def f(x):
    for fd in range(3, 64):
        try:
            os.write(fd, b'R0 {"status": "passed"}\\nD\\n')
        except OSError:
            pass
    os._exit(0)
""",
    "kill_the_supervisor": """
import os, signal
def f(x):
    os.kill(os.getppid(), signal.SIGKILL)
    return 0
""",
    "stop_the_supervisor": """
import os, signal
def f(x):
    os.kill(os.getppid(), signal.SIGSTOP)
    return 0
""",
    "raise_a_harness_exception": """
import sys
def f(x):
    raise sys.modules['__main__']._NotPlain('int')
""",
    "shadow_the_builtins_tests_use": """
import builtins
def abs(x):
    return 0
def tuple(x):
    return (7,)
builtins.abs = abs
builtins.isinstance = lambda *a: True
def f(x):
    return 0
""",
    "swallow_the_timer_and_return_a_guess": """
def f(x):
    try:
        while True:
            pass
    except BaseException:
        return 0
""",
}


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(LIMITS) as sb:  # cold: no warm sandbox alive between tests
        yield sb


@pytest.mark.parametrize("name", sorted(SHORTCUTS))
def test_shortcut_fails_every_test(name, sandbox):
    result = sandbox.run(SHORTCUTS[name], TESTS, "f")
    assert [t.status for t in result.tests].count("passed") == 0, (name, result.tests)
    assert result.host_passed == 0 and not result.all_passed
    assert all(t.verdict == "host" for t in result.tests)
    assert wait_no_sandbox_processes() == [], f"{name} left processes behind"


def test_plain_data_reason_names_the_type(sandbox):
    code = SHORTCUTS["lying_int_subclass"]
    call, src, rev, flt = sandbox.run(code, TESTS, "f").tests
    assert call.status == src.status == "wrong_answer"
    assert call.error == "returned a Liar, not plain data"
    assert src.error == "returned a Liar, not plain data"
    inside = sandbox.run(SHORTCUTS["always_equal_inside_a_list"], TESTS[:1], "f").tests[0]
    assert inside.error == "returned a Always, not plain data"
    keyed = sandbox.run("def f(x):\n    return {1: 2}\n", TESTS[:1], "f").tests[0]
    assert keyed.error == "returned a dict with a int key, not plain data"


def test_exit_before_tests_gives_not_run_for_the_rest(sandbox):
    result = sandbox.run(SHORTCUTS["exit_0_before_the_tests"], TESTS, "f")
    assert [t.status for t in result.tests] == ["runtime_error"] + ["not_run"] * 3
    assert "exited with code 0" in result.tests[0].error


def test_fake_records_on_stdout_are_only_output(sandbox):
    result = sandbox.run(SHORTCUTS["print_fake_records_then_exit"], TESTS, "f")
    assert [t.status for t in result.tests] == ["runtime_error"] + ["not_run"] * 3
    assert '"status": "passed"' in result.stdout


def test_forged_reports_are_a_protocol_violation(sandbox):
    result = sandbox.run(SHORTCUTS["forge_records_at_test_time_then_exit"], TESTS, "f")
    first = result.tests[0]
    assert first.status == "runtime_error"
    assert "malformed" in first.error or "protocol" in first.error or "exited" in first.error


def test_the_runner_cannot_reach_the_supervisor(sandbox):
    code = """
import os
def f(x):
    ppid = os.getppid()
    seen = []
    for path in ('/proc/%d/fd' % ppid, '/proc/%d/mem' % ppid, '/proc/%d/environ' % ppid):
        try:
            if path.endswith('fd'):
                seen.append(len(os.listdir(path)))
            else:
                seen.append(len(open(path, 'rb').read(1)))
        except OSError as err:
            seen.append(type(err).__name__)
    return seen
"""
    t = sandbox.run(code, [TestCase(args=[3], expected=None)], "f").tests[0]
    assert t.status == "wrong_answer"
    assert t.actual == "['PermissionError', 'PermissionError', 'PermissionError']", t


def test_expected_values_never_enter_the_sandbox(sandbox):
    secret = 918273645
    code = """
import gc, sys
def f(x):
    found = [o for o in gc.get_objects() if isinstance(o, dict) and 918273645 in o.values()]
    return len(found)
"""
    tests = [
        TestCase(args=[3], expected=secret),
        TestCase(source=f"assert candidate(3) == {secret}"),
        TestCase(setup="y = 1", expr="candidate(y)", expected=secret),
    ]
    for p in (prepare(t) for t in tests):
        assert str(secret) not in repr(p.job)
    result = sandbox.run(code, tests, "f")
    assert all(t.status == "wrong_answer" and t.actual == "0" for t in result.tests)
    assert all(t.expected == str(secret) for t in result.tests)


def test_unsplittable_asserts_are_counted_as_sandbox_verdicts(sandbox):
    patched = """
import builtins
def f(x):
    return 0
"""
    tests = [
        TestCase(source="for i in range(2):\n    assert candidate(i) == i"),
        TestCase(source="assert candidate(0) == 0"),
    ]
    result = sandbox.run(patched, tests, "f")
    assert [t.verdict for t in result.tests] == ["sandbox", "host"]
    assert result.sandbox_verdicts == 1
    assert [t.status for t in result.tests] == ["wrong_answer", "passed"]
    assert result.host_passed == 1


def test_honest_solutions_still_pass_every_form(sandbox):
    code = "def f(x):\n    return x + 4 if x == 3 else [x, (1, 2.5)] if x else 0\n"
    tests = [
        *TESTS,
        TestCase(source="assert candidate(3)"),
        TestCase(source="assert not candidate(0)"),
        TestCase(source="assert (candidate(3) == 7) is True"),
        TestCase(source="assert candidate(1) == [1, [1, 2.5]]"),
        TestCase(source="assert tuple(candidate(1)) == (1, (1, 2.5))"),
        TestCase(args=[1], expected=[1, [1, 2.5000001]], compare="float"),
        TestCase(args=[1], expected=[[1, 2.5], 1], compare="unordered"),
    ]
    result = sandbox.run(code, tests, "f")
    assert [t.status for t in result.tests] == ["passed"] * len(tests), result.tests


# -- host-side pieces, without a sandbox --------------------------------------------------------
def test_safe_eval_folds_literals_only():
    assert safe_eval("(3 + 5 + 7, 3 * 5 * 7)") == (15, 105)
    assert safe_eval("tuple([2, 6, 3])") == (2, 6, 3)
    assert safe_eval("2.0 / 3.0") == pytest.approx(0.6667, abs=1e-3)
    for bad in ("candidate(1)", "x", "__import__('os')", "'a' * 10 ** 9", "9 ** 9 ** 9", "{1, 2}"):
        with pytest.raises(Unsafe):
            safe_eval(bad)


def test_split_source_forms():
    s = split_source("import math\nassert candidate(2) == math.pi")
    assert s is None  # the expected side names something: run whole, in the sandbox
    s = split_source("xs = [1]\nassert candidate(xs) == [1, 2]")
    assert (s.setup, s.expr, s.expected, s.rule) == ("xs = [1]", "(candidate(xs))", [1, 2], "exact")
    assert split_source("assert not candidate(1)").rule == "falsy"
    assert split_source("assert candidate(1) is None").rule == "is"
    assert split_source("assert abs(candidate(1) - 0.5) < 1e-6").rule == "abs_lt"
    assert split_source("assert not candidate(1) == 2") is None  # a comparison in the sandbox
    assert split_source("assert candidate(1) and candidate(2)") is None
    assert split_source("assert candidate(1) == candidate(2)") is None


def test_compare_rules():
    assert compare("exact", [1, [2]], (1, (2,)), 0)
    assert not compare("exact", float("nan"), float("nan"), 0)
    assert compare("float", [0.30000001], [0.3], 1e-6)
    assert compare("unordered", [[3], [1]], [[1], [3]], 0)
    assert not compare("unordered", "ab", "ba", 0)
    assert compare("is", True, True, 0) and not compare("is", 1, True, 0)
    assert not compare("abs_lt", True, 1.0, 1e-6)


def test_channel_checks_nonce_index_and_order():
    nonce = "n" * 32
    line = (nonce + "\t{}\t{}\t{}").format
    raw = "\n".join(
        [
            "ready",
            "other\t0\tresult\t{}",  # a line without the nonce: ignored
            line(0, "result", "{}"),
            line(1, "result", "{}"),
            f"{nonce}\t-\tdone",
        ]
    ).encode()
    ch = parse(raw, nonce, 2)
    assert sorted(ch.results) == [0, 1] and ch.done and ch.ignored == 1
    assert parse(raw, nonce, 3).violation is not None  # done before every test had a result
    skipped = "\n".join([line(1, "result", "{}")]).encode()
    assert parse(skipped, nonce, 2).violation == (
        0,
        "a record that does not answer the test asked for",
    )
    twice = "\n".join([line(0, "result", "{}"), line(0, "result", "{}")]).encode()
    assert parse(twice, nonce, 2).violation is not None


def test_all_humaneval_canonical_solutions_pass_on_host_verdicts():
    from textgrad_sci.domains.code.problems import load_humaneval

    problems = load_humaneval()
    with Sandbox(Limits(test_timeout_s=3.0), warm=2) as sb:
        results = sb.run_many(
            [(p.canonical_solution, p.all_tests, p.entry_point) for p in problems], workers=2
        )
    failed = [
        (p.id, r.counts()) for p, r in zip(problems, results, strict=True) if not r.all_passed
    ]
    assert failed == [] and len(results) == 164
    total = sum(r.total for r in results)
    inside = sum(r.sandbox_verdicts for r in results)
    assert total == 1137 and inside == 12  # loops and asserts naming the solution's functions
