"""Test-time refinement: scripted end to end, best-version keeping, resume, bench, CLI, and one
run on the real local model."""

from __future__ import annotations

import json
import re
import signal

import pytest
from code_cli_support import WRONG, start, wait_for_steps
from code_support import coder_engine
from textgrad_sci.domains.code import code_validator, load_problems, refine
from textgrad_sci.domains.code.bench import bench, summarize
from textgrad_sci.domains.code.problems import PACKAGED
from textgrad_sci.domains.code.refine import CodeFormat
from textgrad_sci.losses.sandbox import Limits, Sandbox

from textgrad_sci import Run
from textgrad_sci.cli import main
from textgrad_sci.engines import ScriptedEngine
from textgrad_sci.formats import FormatError
from textgrad_sci.loop import RunStopped
from textgrad_sci.run import read_jsonl

BROKEN = "def two_sum(nums, target):\n    return [0, 1\n"


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(Limits(test_timeout_s=2.0), warm=1) as sb:
        yield sb


@pytest.fixture
def two_sum():
    return load_problems("own.jsonl")[0]


def test_validator_and_format_reject_bad_code():
    validate = code_validator("two_sum")
    assert validate("def two_sum(a, b):\n    return []\n") is None
    assert "does not compile" in validate(BROKEN)
    assert "must define `two_sum`" in validate("def other():\n    pass\n")
    assert code_validator("Solution.f")("class Solution:\n    def f(self): pass\n") is None
    fenced = "<CODE>\n```python\ndef f():\n    return 1\n```\n</CODE>"
    assert CodeFormat().parse(fenced) == "def f():\n    return 1\n"
    rambling = "<CODE>def f():\n    return 2\n```\n\nThis code is better because"
    assert CodeFormat().parse(rambling) == "def f():\n    return 2\n"
    with pytest.raises(FormatError, match="never closed"):
        CodeFormat().parse("<CODE>def f():\n    return 2\n\nThis code is")
    # generation stopped at the closing fence (CODE_STOP): the code before it, if it compiles
    assert CodeFormat().parse("<CODE>\ndef f():\n    return 3") == "def f():\n    return 3\n"
    with pytest.raises(FormatError, match="never closed"):
        CodeFormat().parse("<CODE>\ndef f(:\n    return 3")
    with pytest.raises(FormatError, match="empty"):
        CodeFormat().parse("<CODE>\n")


def test_scripted_refinement_fixes_the_code_and_reports_hidden_tests(tmp_path, two_sum, sandbox):
    engine = coder_engine(two_sum.canonical_solution)
    run = Run(tmp_path / "run")
    result = refine(two_sum, engine, sandbox, run, steps=4)
    assert result.solved_visible and result.steps_run == 2
    assert result.visible_before == {
        "passed": 1,
        "total": 3,
        "host_passed": 1,
        "statuses": {"passed": 1, "wrong_answer": 2},
    }
    assert (result.hidden_before["passed"], result.hidden_after["passed"]) == (2, 3)
    assert result.best_code == two_sum.canonical_solution
    steps = run.steps()
    assert [s["losses"]["visible_passed"] for s in steps] == [1, 3]
    assert steps[-1]["solved"] and steps[0]["updates"][0]["accepted"]
    feedback = [
        f["text"] for n in steps[0]["graph"]["nodes"] if n["name"] == "code" for f in n["feedback"]
    ]
    assert any("Reviewer's critique" in f for f in feedback)
    assert any("actual: [0, 0]" in f for f in feedback)
    # the optimizer saw the failing test in its prompt
    update_prompt = [r for r in engine.requests if "optimizer" in r.messages[0][1]][0]
    assert "input: [3, 3], 6" in update_prompt.messages[1][1]


def test_syntax_errors_are_retried_and_the_best_version_is_kept(tmp_path, two_sum, sandbox):
    worse = "def two_sum(nums, target):\n    return None\n"
    answers = iter([BROKEN, worse, worse, worse, worse, worse, worse])
    engine = coder_engine(lambda _n: next(answers))
    result = refine(two_sum, engine, sandbox, Run(tmp_path / "r"), steps=2, critique=False)
    steps = Run(tmp_path / "r").steps()
    first = steps[0]["updates"][0]
    assert first["attempts"] == 2 and "does not compile" in first["errors"][0]
    assert not first["accepted"] and "worse" in first["reason"]  # gated: 0 < 1 passed
    assert result.best_code == two_sum.initial_solution
    assert not result.solved_visible and result.visible_after["passed"] == 1


def test_killed_run_resumes_from_its_directory(tmp_path, two_sum, sandbox):
    calls = []

    def crash_on_second(n):
        calls.append(n)
        if n == 2:
            raise KeyboardInterrupt("killed")
        return two_sum.initial_solution.replace("range(i,", "range(i ,")

    with pytest.raises(RunStopped) as stopped:
        refine(two_sum, coder_engine(crash_on_second), sandbox, Run(tmp_path / "k"), steps=3)
    assert stopped.value.status == "interrupted" and stopped.value.exit_code == 130
    assert json.loads((tmp_path / "k" / "run.json").read_text())["status"] == "interrupted"
    assert len(Run(tmp_path / "k").steps()) == 1
    fixer = coder_engine(two_sum.canonical_solution)
    result = refine(two_sum, fixer, sandbox, Run(tmp_path / "k"), steps=3)
    steps = Run(tmp_path / "k").steps()
    assert [s["step"] for s in steps] == [0, 1, 2]
    assert result.solved_visible and result.initial_code == two_sum.initial_solution
    assert result.hidden_before["passed"] == 2 and result.hidden_after["passed"] == 3


def test_bench_reports_pass_rates_and_resumes(tmp_path, sandbox):
    problems = load_problems("own.jsonl")[:2]
    fixes = {p.entry_point: p.canonical_solution for p in problems}

    def respond(request):
        text = request.messages[-1][1]
        name = "two_sum" if "two_sum" in text else "mean_std"
        if "optimizer" in request.messages[0][1] or "Solve this" in text:
            return f"<CODE>\n{fixes[name]}</CODE>"
        return "Fix the off-by-one error."

    run = Run(tmp_path / "b")
    rows = bench(problems, ScriptedEngine(respond), sandbox, run, steps=2, generate=False)
    s = summarize(rows, 2)
    assert s["problems"] == 2 and s["methods"]["zero-shot"]["final"] == 0.0
    assert s["methods"]["textgrad"]["completion_rate"] == [0.0, 1.0, 1.0]
    assert (tmp_path / "b" / "problems" / "textgrad" / "two-sum" / "steps.jsonl").exists()
    again = bench(problems, ScriptedEngine("unused"), sandbox, Run(tmp_path / "b"), steps=2)
    assert again == rows


def test_cli_refine_writes_run_directory(tmp_path, capsys):
    fixed = load_problems("running_sum.json")[0].canonical_solution
    run_dir = tmp_path / "cli"
    code = main(
        [
            "code",
            "refine",
            "--problem",
            "running_sum.json",
            "--steps",
            "2",
            "--engine",
            f"scripted:<CODE>\n{fixed}</CODE>",
            "--run-dir",
            str(run_dir),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "before  0/2      1/2" in out and "after   2/2      2/2" in out
    assert (run_dir / "plots" / "visible_tests.png").stat().st_size > 0
    assert (run_dir / "best_solution.py").read_text() == fixed
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["status"] == "completed" and meta["summary"]["solved_visible"]


def test_cli_bench_and_bad_problem_file(tmp_path, capsys):
    code = main(
        [
            "code",
            "bench",
            "--dataset",
            "humaneval",
            "--limit",
            "2",
            "--steps",
            "1",
            "--engine",
            "scripted:no code here",
            "--run-dir",
            str(tmp_path / "b"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "HumanEval/0" in out and "completion rate" in out
    assert (tmp_path / "b" / "plots" / "completion_rate.png").exists()
    assert json.loads((tmp_path / "b" / "results.json").read_text())["summary"]["problems"] == 2
    assert main(["code", "refine", "--problem", str(tmp_path / "missing.json")]) == 2
    assert "problem file not found" in capsys.readouterr().err


@pytest.mark.local_model
def test_local_model_refinement_runs_end_to_end(tmp_path, sandbox):
    from textgrad_sci.engines import get_engine

    problem = load_problems("running_sum.json")[0]
    engine = get_engine("local")
    run = Run(tmp_path / "local")
    result = refine(
        problem, engine, sandbox, run, steps=1, critique=False, max_tokens=64, max_retries=0
    )
    steps = run.steps()
    assert len(steps) == 1 and steps[0]["losses"]["visible_total"] == 2
    assert steps[0]["updates"][0]["attempts"] == 1
    assert code_validator(problem.entry_point)(result.best_code) is None
    assert result.hidden_after["total"] == 2


@pytest.mark.parametrize("critique", [True, False])
def test_every_update_is_recorded_with_the_feedback_the_code_received(
    tmp_path, two_sum, sandbox, critique
):
    versions = iter(range(1, 10))
    engine = coder_engine(lambda _n: two_sum.initial_solution + f"# version {next(versions)}\n")
    run = Run(tmp_path / "f")
    refine(two_sum, engine, sandbox, run, steps=3, critique=critique)
    steps = run.steps()
    assert len(steps) == 3 and all(s["updates"] for s in steps)
    for s in steps:
        code = [n for n in s["graph"]["nodes"] if n["name"] == "code"]
        texts = [f["text"] for n in code for f in n["feedback"]]
        assert texts and all(t.strip() for t in texts)
        assert any("2 of 3 visible tests failed" in t for t in texts)
        assert any("Reviewer's critique" in t for t in texts) == critique
    assert steps[-1]["parameters"]["code"].endswith("# version 3\n")


def _meta(run_dir) -> dict:
    return json.loads((run_dir / "run.json").read_text())


def test_cli_run_killed_after_its_first_step_resumes_to_the_same_code(tmp_path):
    refine_args = ["code", "refine", "--problem", "running_sum.json", "--steps", "3", "--quiet"]
    whole = start([*refine_args, "--engine", "slowcoder:0", "--run-dir", str(tmp_path / "a")])
    assert whole.wait(60) == 0, whole.communicate()
    killed = start([*refine_args, "--engine", "slowcoder:0.4", "--run-dir", str(tmp_path / "b")])
    wait_for_steps(tmp_path / "b", 1, killed)
    killed.send_signal(signal.SIGKILL)
    killed.wait(10)
    assert _meta(tmp_path / "b")["status"] == "running"  # killed: nothing could mark it
    assert len(read_jsonl(tmp_path / "b" / "steps.jsonl")) == 1
    resumed = start(["code", "refine", "--resume", str(tmp_path / "b"), "--quiet"])
    out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    assert "before  0/2      1/2" in out and "steps: 3" in out
    a, b = (read_jsonl(tmp_path / d / "steps.jsonl") for d in "ab")
    assert [s["step"] for s in b] == [0, 1, 2]
    assert [s["parameters"] for s in a] == [s["parameters"] for s in b]
    assert b[-1]["parameters"]["code"] == WRONG.format(n=3)
    assert (tmp_path / "b" / "best_solution.py").read_text() == (
        tmp_path / "a" / "best_solution.py"
    ).read_text()
    assert _meta(tmp_path / "b")["status"] == "completed"
    assert _meta(tmp_path / "b")["config"]["steps"] == 3


def test_cli_unreachable_engine_marks_the_run_failed_in_one_line(tmp_path):
    run_dir = tmp_path / "u"
    proc = start(["code", "refine", "--problem", "running_sum.json", "--quiet",
                  "--engine", "openai:m@http://127.0.0.1:9/v1", "--run-dir", str(run_dir)])
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "Traceback" not in err
    lines = [line for line in err.splitlines() if not re.search(r"attempt \d/\d failed", line)]
    assert len(lines) == 1, err  # the engine's retry notices, then one line
    assert "the engine failed" in lines[0] and str(run_dir) in lines[0]
    meta = _meta(run_dir)
    assert meta["status"] == "failed" and "the engine failed" in meta["summary"]["error"]


@pytest.mark.parametrize("command", ["refine", "bench"])
def test_cli_ctrl_c_marks_the_run_interrupted_in_one_line(tmp_path, command):
    run_dir = tmp_path / command
    what = (["--problem", "running_sum.json"] if command == "refine"
            else ["--dataset", "running_sum.json"])
    proc = start(["code", command, *what, "--steps", "5", "--quiet",
                  "--engine", "slowcoder:0.4", "--run-dir", str(run_dir)])
    sub = run_dir if command == "refine" else run_dir / "problems" / "textgrad" / "running-sum"
    wait_for_steps(sub, 1, proc)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "interrupted" in err
    assert _meta(run_dir)["status"] == "interrupted"
    assert _meta(sub)["status"] == "interrupted"


def test_resample_baseline_runs_through_the_same_loop_with_the_same_records(
    tmp_path, two_sum, sandbox
):
    tgd_run, base_run = Run(tmp_path / "tgd"), Run(tmp_path / "resample")
    refine(two_sum, coder_engine(two_sum.canonical_solution), sandbox, tgd_run, steps=3)
    worse = "def two_sum(nums, target):\n    return None\n"
    samples = iter([worse, two_sum.canonical_solution])

    def sample(request):
        assert "Solve this" in request.messages[-1][1] and request.temperature > 0
        assert request.seed is not None  # the loop's per-step seed: reproducible
        return f"<CODE>\n{next(samples)}</CODE>"

    result = refine(two_sum, ScriptedEngine(sample), sandbox, base_run, steps=3,
                    strategy="resample")
    tgd, base = tgd_run.steps(), base_run.steps()
    assert [set(s) for s in base] == [set(tgd[0]), set(tgd[0]), set(tgd[1])]
    assert [set(u) for s in base for u in s.get("updates", [])] == [set(tgd[0]["updates"][0])] * 2
    first, second = base[0]["updates"][0], base[1]["updates"][0]
    assert not first["accepted"] and "random move rejected" in first["reason"]
    assert second["accepted"] and second["score_after"] == 0.0
    assert result.solved_visible and result.steps_run == 3 and base[-1]["solved"]
    assert not any("Reviewer" in f["text"] for s in base for n in s["graph"]["nodes"]
                   for f in n["feedback"])


def test_cli_code_check_is_a_code_subcommand(tmp_path, capsys):
    solution = tmp_path / "s.py"
    solution.write_text(load_problems("running_sum.json")[0].canonical_solution)
    argv = ["code", "check", "--dataset", str(PACKAGED / "running_sum.json"),
            "--problem", "running-sum", "--solution", str(solution)]
    assert main(argv) == 0 and "4/4 tests passed" in capsys.readouterr().out
    solution.write_text(load_problems("running_sum.json")[0].initial_solution)
    assert main(argv) != 0


@pytest.mark.parametrize(("argv", "message"), [
    (["refine"], "--problem is required"),
    (["refine", "--resume", "nowhere"], "no run there"),
    (["refine", "--problem", "running_sum.json", "--index", "7"], "holds 1 problem(s)"),
    (["bench", "--dataset", "nope.json"], "problem file not found"),
    (["refine", "--problem", "running_sum.json", "--engine", "bogus:x"], "unknown engine spec"),
])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, message):
    argv = [a.replace("nowhere", str(tmp_path / "nowhere")) for a in argv]
    assert main(["code", *argv, "--run-dir", str(tmp_path / "r")] if "--resume" not in argv
                else ["code", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "nowhere").exists()
