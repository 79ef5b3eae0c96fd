"""The code bench with TextGrad's protocol on LeetCode Hard (issue 17): completion-rate
arithmetic, the Reflexion baseline's call budget, a scripted engine that fixes a failing
solution after seeing its failing visible tests, a replayed bench, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textgrad_sci.domains.code import code_prompts as prompts
from textgrad_sci.domains.code import leetcode as lc
from textgrad_sci.domains.code.bench import (
    bench,
    completion_rates,
    parse_methods,
    summarize,
    table,
    wilson,
)
from textgrad_sci.domains.code.problems import load_dataset
from textgrad_sci.losses.sandbox import Limits, Sandbox

from textgrad_sci import Run
from textgrad_sci.cli import main
from textgrad_sci.engines import CassetteRecorder, ChatRequest, ReplayEngine, ScriptedEngine

SOLUTIONS = Path(__file__).with_name("code_solutions")
RIGHT = (SOLUTIONS / "trapping_rain_water.py").read_text()
WRONG = (SOLUTIONS / "trapping_rain_water_wrong.py").read_text()
HIDDEN_INPUT = "[3, 0, 2, 0, 4]"  # a hidden test's input: no prompt may show it


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(Limits(test_timeout_s=3.0), mounts=lc.mounts(), warm=1) as sb:
        yield sb


@pytest.fixture(scope="module")
def trap():
    problem = next(p for p in load_dataset("leetcode-hard") if p.id == "trapping_rain_water")
    assert any(HIDDEN_INPUT in t.display for t in problem.hidden_tests)
    return problem


def _text(request: ChatRequest) -> tuple[str, str]:
    return request.messages[0][1], "\n".join(c for _, c in request.messages[1:])


def fixer(request: ChatRequest) -> str:
    """Zero-shot: the wrong solution. Critique or reflection: a sentence. An update or rewrite:
    the right solution only when the prompt shows the failing visible test (expected 6, actual
    3), else the wrong one again."""
    system, text = _text(request)
    if system in (prompts.CRITIQUE_SYSTEM, prompts.REFLECT_SYSTEM):
        return "Only one-wide dips are counted; use the running maxima from both sides."
    update = "Its current value" in text or "Your reflection" in text
    seen = update and "expected: 6" in text and "actual: 3" in text
    return f"<CODE>\n{RIGHT if seen else WRONG}</CODE>"


def test_parse_methods_puts_zero_shot_first_and_rejects_unknown_names():
    assert parse_methods("reflexion, textgrad") == ("zero-shot", "reflexion", "textgrad")
    assert parse_methods("zero-shot") == ("zero-shot",)
    with pytest.raises(ValueError, match="unknown method bogus"):
        parse_methods("textgrad,bogus")


def _rows(method: str, outcomes: list[list[bool]]) -> list[dict]:
    return [{"method": method, "problem": f"p{i}", "completed": c, "calls": 2 * (len(c) - 1),
             "seconds": 1.0 + i} for i, c in enumerate(outcomes)]


def test_completion_rate_arithmetic():
    f, t = False, True
    rows = (_rows("zero-shot", [[t], [f], [f], [f]])
            + _rows("textgrad", [[t, t, t], [f, t, t], [f, f, t], [f, f]])  # p3 stopped early
            + _rows("reflexion", [[t, t, f], [f, f, f], [f, f, f], [f, t, t]]))
    rates = completion_rates(rows, 2)
    assert rates == {"zero-shot": [0.25, 0.25, 0.25], "textgrad": [0.25, 0.5, 0.75],
                     "reflexion": [0.25, 0.5, 0.25]}
    s = summarize(rows, 2)
    tg, rx = s["methods"]["textgrad"], s["methods"]["reflexion"]
    assert s["problems"] == 4 and tg["final"] == 0.75 and rx["final"] == 0.25
    assert (tg["gained"], tg["lost"], rx["gained"], rx["lost"]) == (2, 0, 1, 1)
    assert tg["ci95"] == pytest.approx(list(wilson(3, 4)))
    assert tg["calls_per_problem"] == (4 + 4 + 4 + 2) / 4 and tg["seconds_per_problem"] == 2.5
    assert wilson(0, 20) == pytest.approx((0.0, 0.1611), abs=1e-4)
    assert wilson(10, 20) == pytest.approx((0.2993, 0.7007), abs=1e-4)
    assert wilson(0, 0) == (0.0, 0.0)


def test_scripted_fix_after_the_failing_visible_tests_completes_the_hidden_ones(
    tmp_path, sandbox, trap
):
    engine = ScriptedEngine(fixer)
    rows = bench([trap], engine, sandbox, Run(tmp_path / "b"), steps=2,
                 methods=("zero-shot", "textgrad", "reflexion"))
    by = {r["method"]: r for r in rows}
    assert by["zero-shot"]["completed"] == [False]
    assert by["zero-shot"]["hidden_passed"][0] < by["zero-shot"]["hidden_total"] == 13
    for method in ("textgrad", "reflexion"):
        assert by[method]["completed"] == [False, True, True], method
        assert by[method]["hidden_passed_after"] == 13 and by[method]["visible_after"]
        assert by[method]["calls"] == 2  # one step: critique/reflection + update/rewrite
    s = summarize(rows, 2)
    assert [s["methods"][m]["completion_rate"] for m in ("zero-shot", "textgrad")] == [
        [0.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
    prompts_seen = [_text(r)[1] for r in engine.requests]
    assert not any(HIDDEN_INPUT in p for p in prompts_seen)  # the hidden tests stay hidden
    losses = [p for p in prompts_seen if "Its current value" in p or "Your reflection" in p]
    assert len(losses) == 2 and all("input: height = [0, 1, 0, 2, 1, 0, 1, 3, 2, 1, 2, 1]" in p
                                    for p in losses)
    first_line = table(rows, 2).splitlines()[1].split()
    zero = by["zero-shot"]["hidden_passed"][0]
    assert first_line == ["trapping_rain_water", f"{zero}/13", "13/13", "*", "13/13", "*"]


def test_reflexion_makes_as_many_model_calls_as_textgrad(tmp_path, sandbox, trap):
    versions = iter(range(100))

    def never_fixes(request: ChatRequest) -> str:
        system, _text_ = _text(request)
        if system in (prompts.CRITIQUE_SYSTEM, prompts.REFLECT_SYSTEM):
            return "I will look at the dips again."
        return f"<CODE>\n{WRONG}# version {next(versions)}\n</CODE>"  # as good: accepted

    engine = ScriptedEngine(never_fixes)
    rows = bench([trap], engine, sandbox, Run(tmp_path / "c"), steps=3,
                 methods=("textgrad", "reflexion"))
    calls = {r["method"]: r["calls"] for r in rows}
    assert calls == {"zero-shot": 1, "textgrad": 6, "reflexion": 6}
    systems = [r.messages[0][1] for r in engine.requests]
    assert systems.count(prompts.REFLECT_SYSTEM) == systems.count(prompts.REWRITE_SYSTEM) == 3
    rewrites = [_text(r)[1] for r in engine.requests if r.messages[0][1] == prompts.REWRITE_SYSTEM]
    assert "earlier attempts" not in rewrites[0] and "# version" in rewrites[2].split(
        "Your latest code")[0]  # the third rewrite sees an earlier attempt in its memory
    steps = Run(tmp_path / "c" / "problems" / "reflexion" / "trapping_rain_water").steps()
    assert [s["updates"][0]["accepted"] for s in steps] == [True, True, True]
    assert all(r["completed"] == [False] * len(r["completed"]) for r in rows)


def test_replayed_bench_gives_the_same_rows(tmp_path, sandbox, trap):
    cassette = tmp_path / "bench.jsonl"
    engine = ScriptedEngine(fixer)
    engine.recorder = CassetteRecorder(cassette, engine)
    first = bench([trap], engine, sandbox, Run(tmp_path / "rec"), steps=2,
                  methods=("textgrad", "reflexion"))
    again = bench([trap], ReplayEngine(cassette), sandbox, Run(tmp_path / "replay"), steps=2,
                  methods=("textgrad", "reflexion"))
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert strip(again) == strip(first) and len(first) == 3
    resumed = bench([trap], ScriptedEngine("unused"), sandbox, Run(tmp_path / "replay"),
                    steps=2, methods=("textgrad", "reflexion"))
    assert resumed == again  # every (method, problem) was recorded: nothing runs again


def test_cli_bench_on_leetcode_hard_writes_results_and_plot(tmp_path, capsys):
    run_dir = tmp_path / "cli"
    code = main(["code", "bench", "--dataset", "leetcode-hard", "--limit", "2", "--steps", "1",
                 "--methods", "textgrad,reflexion", "--engine", "scripted:no code here",
                 "--run-dir", str(run_dir), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "alien_dictionary" in out and "completion by iteration" in out
    results = json.loads((run_dir / "results.json").read_text())
    assert set(results["summary"]["methods"]) == {"zero-shot", "textgrad", "reflexion"}
    assert len(results["rows"]) == 6 and (run_dir / "plots" / "completion_rate.png").exists()
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["status"] == "completed" and meta["config"]["methods"] == "textgrad,reflexion"


def test_cli_refine_of_a_leetcode_problem_imports_its_data_structures(tmp_path, capsys):
    problems = load_dataset("leetcode-hard")
    index = next(i for i, p in enumerate(problems) if p.id == "merge_k_sorted_lists")
    fixed = (SOLUTIONS / "merge_k_sorted_lists.py").read_text()
    code = main(["code", "refine", "--problem", "leetcode-hard", "--index", str(index),
                 "--steps", "1", "--engine", f"scripted:<CODE>\n{fixed}</CODE>",
                 "--run-dir", str(tmp_path / "r"), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    total = len(problems[index].hidden_tests)
    assert f"{total}/{total}" in out.splitlines()[2]  # after: every hidden test (ListNode)
    summary = json.loads((tmp_path / "r" / "run.json").read_text())["summary"]
    assert set(summary["tests"]) == {"visible_start", "visible_best", "hidden_start",
                                     "hidden_best"}
    assert all(t["status"] == "passed" for t in summary["tests"]["hidden_best"])


def test_cli_bench_unknown_method_is_one_line_and_exit_2(tmp_path, capsys):
    argv = ["code", "bench", "--dataset", "leetcode-hard", "--methods", "textgrad,magic",
            "--run-dir", str(tmp_path / "x")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "unknown method magic" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()
