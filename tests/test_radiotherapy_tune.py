"""The tuning workflow end to end on a scripted engine: CLI, run directory, plots, resume,
and the random-search baseline at equal budget."""

from __future__ import annotations

import dataclasses
import json

import pytest
from radiotherapy_support import planner
from textgrad_sci.domains.radiotherapy import load_case, load_goals, make_loss
from textgrad_sci.domains.radiotherapy.plan import PlanSchema, dump_plan
from textgrad_sci.domains.radiotherapy.workflow import TuneConfig, run_tuning

from textgrad_sci import ScriptedEngine
from textgrad_sci.cli import main
from textgrad_sci.engines.base import EngineError
from textgrad_sci.loop import RunStopped

CONFIG = TuneConfig(case="tg119", resolution=12.0, steps=2, tuner="textgrad", fmo_iterations=60,
                    max_tokens=300, temperature=0.0, seed=0)


@pytest.fixture(scope="module")
def loss():
    case = load_case("tg119", 12.0)
    return make_loss(case, load_goals("tg119", case.prescription_gy), fmo_iterations=60)


def test_tuning_step_on_scripted_engine_records_everything(tmp_path, loss, capsys):
    engine = ScriptedEngine(planner)
    summary = run_tuning(tmp_path / "run", CONFIG, engine=engine, progress=False, loss=loss)
    steps = [json.loads(line) for line in (tmp_path / "run" / "steps.jsonl").open()]
    assert [s["step"] for s in steps] == [0, 1]
    first = steps[0]
    assert set(first["losses"]) == {"goals_met", "goals_missed", "goal_score"}
    assert all(isinstance(v, float) for v in first["losses"].values())
    assert first["updates"][0]["accepted"] is True
    assert first["parameters"]["plan"] == steps[1]["evaluated_plan"]
    nodes = {n["function"] for n in first["graph"]["nodes"]}
    assert "PlanGoalLoss" in nodes
    plan_node = next(n for n in first["graph"]["nodes"] if n["name"] == "plan")
    assert "Clinical goal evaluation" in plan_node["feedback"][0]["text"]
    # The update prompt carried the goal report, the hints and the in-context example.
    prompt = engine.requests[0].messages[-1][1]
    assert "MISSED" in prompt or "met " in prompt
    assert "<EXAMPLE>" in prompt and "squared_underdose" in prompt
    # Outputs: table, plots, report, summary.
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:3] == ["iter", "met", "score"]
    assert len(out.strip().splitlines()) == 2 + 3  # header, rule, iterations 0..2
    run = tmp_path / "run"
    for name in ("dvh.png", "dose_slice.png", "goal_margins.png"):
        assert (run / "plots" / name).read_bytes()[:4] == b"\x89PNG"
    assert (run / "report.html").exists() and (run / "goals_table.txt").exists()
    meta = json.loads((run / "run.json").read_text())
    assert meta["status"] == "completed" and meta["summary"] == summary
    assert summary["iterations"] == 2 and summary["goals_total"] == 3
    assert summary["score_final"] <= summary["score_initial"]
    assert PlanSchema.for_case(loss.case).validate((run / "final_plan.json").read_text()) is None


class CrashingPlanner:
    """Answers like ``planner`` and fails for good at call ``crash_at`` (a killed run)."""

    def __init__(self, crash_at: int):
        self.calls, self.crash_at = 0, crash_at

    def __call__(self, request) -> str:
        self.calls += 1
        if self.calls == self.crash_at:
            raise EngineError("connection lost")
        return planner(request)


def test_killed_run_resumes_from_its_directory(tmp_path, loss):
    run = tmp_path / "run"
    config = dataclasses.replace(CONFIG, steps=3)
    with pytest.raises(RunStopped, match="connection lost"):
        engine = ScriptedEngine(CrashingPlanner(2))
        run_tuning(run, config, engine=engine, progress=False, loss=loss)
    steps = [json.loads(line) for line in (run / "steps.jsonl").open()]
    assert [s["step"] for s in steps] == [0]
    assert json.loads((run / "run.json").read_text())["status"] == "failed"
    engine = ScriptedEngine(planner)
    summary = run_tuning(run, config, engine=engine, progress=False, loss=loss)
    steps = [json.loads(line) for line in (run / "steps.jsonl").open()]
    assert [s["step"] for s in steps] == [0, 1, 2]
    assert len(engine.requests) == 2  # step 0 was not run again
    assert steps[1]["evaluated_plan"] == steps[0]["parameters"]["plan"]
    meta = json.loads((run / "run.json").read_text())
    assert meta["status"] == "completed" and meta["resumed"] == 1
    assert summary["iterations"] == 3


def test_cli_tune_and_resume_with_more_steps(tmp_path, capsys):
    run = tmp_path / "cli-run"
    answer = dump_plan([
        {"structure": "PTV", "kind": "squared_underdose", "dose_gy": 51, "weight": 100},
        {"structure": "PTV", "kind": "squared_overdose", "dose_gy": 52.5, "weight": 40},
        {"structure": "CORE", "kind": "squared_overdose", "dose_gy": 20, "weight": 10},
    ])
    args = ["radiotherapy", "tune", "--case", "tg119", "--resolution", "12", "--steps", "1",
            "--fmo-iterations", "60", "--engine", "scripted:" + answer, "--run-dir", str(run),
            "--no-progress"]
    assert main(args) == 0
    assert "goals met:" in capsys.readouterr().out
    assert main(["radiotherapy", "tune", "--resume", str(run), "--steps", "2",
                 "--engine", "scripted:" + answer, "--no-progress"]) == 0
    steps = [json.loads(line) for line in (run / "steps.jsonl").open()]
    assert [s["step"] for s in steps] == [0, 1]
    assert json.loads((run / "run.json").read_text())["config"]["steps"] == 2
    assert main(["radiotherapy", "tune", "--resume", str(tmp_path / "nothing")]) == 2
    assert "run.json is missing" in capsys.readouterr().err
    assert main(["radiotherapy", "goals", "tg119"]) == 0
    assert json.loads(capsys.readouterr().out)["goals"][0]["metric"] == "D95"


def test_cli_exports_the_final_plan_as_dicom(tmp_path, loss, capsys):
    import numpy as np
    import pydicom

    run, out = tmp_path / "run", tmp_path / "dicom"
    answer = dump_plan([
        {"structure": "PTV", "kind": "squared_underdose", "dose_gy": 51, "weight": 100},
        {"structure": "PTV", "kind": "squared_overdose", "dose_gy": 52.5, "weight": 40},
        {"structure": "CORE", "kind": "squared_overdose", "dose_gy": 20, "weight": 10},
    ])
    assert main(["radiotherapy", "tune", "--case", "tg119", "--resolution", "12", "--steps", "1",
                 "--fmo-iterations", "60", "--engine", "scripted:" + answer, "--run-dir",
                 str(run), "--quiet", "--export-dicom", str(out)]) == 0
    summary = json.loads((run / "run.json").read_text())["summary"]
    assert summary["dicom"]["rtdose"] == str(out / "RTDOSE.dcm")
    assert sorted((out / "CT").glob("*.dcm")) and (out / "RTSTRUCT.dcm").exists()
    ds = pydicom.dcmread(out / "RTDOSE.dcm")
    dose = ds.pixel_array * float(ds.DoseGridScaling)
    expected = loss.evaluate((run / "final_plan.json").read_text().strip()).detail.dose
    assert dose.shape == expected.shape
    assert np.allclose(dose, expected, atol=1e-3 * expected.max())


def test_random_baseline_uses_the_same_budget(tmp_path, loss):
    config = dataclasses.replace(CONFIG, tuner="random", steps=3)
    calls = []
    evaluate = loss.evaluate
    loss.evaluate = lambda plan: calls.append(plan) or evaluate(plan)
    try:
        summary = run_tuning(tmp_path / "rnd", config, progress=False, loss=loss)
    finally:
        del loss.evaluate
    distinct = set(calls)
    assert len(distinct) <= 1 + 3  # the starting plan and one candidate per step
    steps = [json.loads(line) for line in (tmp_path / "rnd" / "steps.jsonl").open()]
    assert [s["step"] for s in steps] == [0, 1, 2]
    for s in steps:
        update = s["updates"][0]
        assert update["accepted"] == (update["score_after"] <= update["score_before"])
    assert summary["score_final"] <= summary["score_initial"]
    assert json.loads((tmp_path / "rnd" / "run.json").read_text())["engine"] is None


def test_nonsense_answers_keep_the_plan_and_never_crash(tmp_path, loss, capsys):
    lung = {"structure": "LUNG", "kind": "mean_dose", "dose_gy": 5, "weight": 1}
    answers = ["I think the plan is fine.", json.dumps({"objectives": [lung]}),
               '{"objectives": [1,}']
    engine = ScriptedEngine(lambda request: answers[len(engine.requests) % 3 - 1])
    summary = run_tuning(tmp_path / "run", dataclasses.replace(CONFIG, steps=1), engine=engine,
                         progress=False, loss=loss)
    (step,) = [json.loads(line) for line in (tmp_path / "run" / "steps.jsonl").open()]
    (update,) = step["updates"]
    assert not update["accepted"] and update["attempts"] == 3
    assert "did not contain a JSON plan" in update["errors"][0]
    assert "unknown structure 'LUNG'" in update["errors"][1]
    assert "not valid JSON" in update["errors"][2]
    assert step["parameters"]["plan"] == step["evaluated_plan"]
    assert summary["goals_met_final"] == summary["goals_met_initial"]


def test_goals_table_marks_missed_goals_and_failed_plans():
    from textgrad_sci.domains.radiotherapy.table import goals_table

    ok = {"goals_met": 1, "goals_total": 2, "score": 0.5, "error": None,
          "metrics": {"PTV D95": 49.0, "CORE D10": 20.0},
          "met": {"PTV D95": False, "CORE D10": True}}
    failed = {"goals_met": 0, "goals_total": 0, "score": 101.0, "error": "bad plan",
              "metrics": {}, "met": {}}
    lines = goals_table([ok, failed]).splitlines()
    assert lines[0].split() == ["iter", "met", "score", "PTV", "D95", "CORE", "D10"]
    assert lines[2].split() == ["0", "1/2", "0.500", "49.0!", "20.0"]
    assert lines[3].split() == ["1", "-", "101.000", "error", "error"]
