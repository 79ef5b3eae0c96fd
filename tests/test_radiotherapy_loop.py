"""The radiotherapy tuner on the shared loop (issue 11): feedback in every recorded step, a CLI
run killed with SIGKILL resumes to the same result, engine failure and Ctrl-C mark the run, and
the random baseline records the same fields as TGD."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from radiotherapy_support import planner
from textgrad_sci.domains.radiotherapy import load_case, load_goals, make_loss
from textgrad_sci.domains.radiotherapy.workflow import TuneConfig, run_tuning

from textgrad_sci import ScriptedEngine

TESTS = Path(__file__).resolve().parent
CONFIG = TuneConfig(case="tg119", resolution=12.0, steps=3, fmo_iterations=60, max_tokens=300,
                    temperature=0.0)
TUNE = ["radiotherapy", "tune", "--case", "tg119", "--resolution", "12", "--fmo-iterations", "60",
        "--temperature", "0", "--quiet"]


@pytest.fixture(scope="module")
def loss():
    case = load_case("tg119", 12.0)
    return make_loss(case, load_goals("tg119", case.prescription_gy), fmo_iterations=60)


def _steps(run: Path) -> list[dict]:
    path = run / "steps.jsonl"
    return [json.loads(line) for line in path.open()] if path.exists() else []


def _status(run: Path) -> str:
    return json.loads((run / "run.json").read_text())["status"]


def test_every_recorded_step_holds_the_feedback_of_the_updated_plan(tmp_path, loss):
    run_tuning(tmp_path / "run", CONFIG, engine=ScriptedEngine(planner), progress=False,
               loss=loss, out=open(os.devnull, "w"))
    steps = _steps(tmp_path / "run")
    assert [s["step"] for s in steps] == [0, 1, 2]
    for step in steps:
        updated = [u["variable"] for u in step["updates"] if u["new_value"]]
        assert updated == ["plan"]
        nodes = {n["name"]: n for n in step["graph"]["nodes"]}
        for name in updated:
            texts = [f["text"] for f in nodes[name]["feedback"]]
            assert texts and all(t.strip() for t in texts)
            assert "Clinical goal evaluation of this plan" in texts[0]


def test_random_baseline_records_the_same_fields_as_tgd(tmp_path, loss):
    devnull = open(os.devnull, "w")
    run_tuning(tmp_path / "tgd", CONFIG, engine=ScriptedEngine(planner), progress=False,
               loss=loss, out=devnull)
    random_config = dataclasses.replace(CONFIG, tuner="random")
    summary = run_tuning(tmp_path / "rnd", random_config, progress=False, loss=loss, out=devnull)
    tgd, rnd = _steps(tmp_path / "tgd"), _steps(tmp_path / "rnd")
    assert len(rnd) == 3 and summary["tuner"] == "random"
    for a, b in zip(tgd, rnd, strict=True):
        assert set(a) == set(b)
        assert set(a["losses"]) == set(b["losses"]) == {"goals_met", "goals_missed", "goal_score"}
        assert set(a["updates"][0]) == set(b["updates"][0])
        assert set(a["goals"]) == set(b["goals"])
        assert b["graph"]["nodes"] and b["evaluated_plan"] == b["updates"][0]["old_value"]
    # The baseline reads no feedback: the loop ran no backward for it.
    assert all(not n["feedback"] for s in rnd for n in s["graph"]["nodes"])
    # Its moves depend on the seed: another seed proposes other plans.
    other = run_tuning(tmp_path / "rnd1", dataclasses.replace(random_config, seed=1),
                       progress=False, loss=loss, out=devnull)
    assert [s["updates"][0]["new_value"] for s in _steps(tmp_path / "rnd1")] != [
        s["updates"][0]["new_value"] for s in rnd]
    assert other["iterations"] == 3


def test_a_rejected_plan_is_shown_in_the_next_update_prompt(tmp_path, loss):
    def colder(request) -> str:  # a plan that underdoses the target: the gate rejects it
        plan = json.loads(planner(request).split("\n", 1)[1])
        for o in plan["objectives"]:
            o["dose_gy"] = 30.0 if o["structure"] == "PTV" else o["dose_gy"]
        return json.dumps(plan)

    engine = ScriptedEngine(colder)
    run_tuning(tmp_path / "run", dataclasses.replace(CONFIG, steps=2), engine=engine,
               progress=False, loss=loss, out=open(os.devnull, "w"))
    first, second = _steps(tmp_path / "run")
    assert first["updates"][0]["accepted"] is False
    assert first["optimizer"]["rejected"]["plan"]["value"] == first["updates"][0]["new_value"]
    prompts = [r.messages[-1][1] for r in engine.requests]
    assert "<REJECTED>" not in prompts[0] and "<REJECTED>" in prompts[1]
    assert first["updates"][0]["new_value"] in prompts[1]


def _cli(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get(
        "PYTHONPATH", "")])}
    return subprocess.Popen(
        [sys.executable, "-c", "import radiotherapy_support as s; s.cli()", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _wait_for_steps(run: Path, proc: subprocess.Popen, n: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(_steps(run)) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run recorded no step in time"
        time.sleep(0.02)


def test_cli_run_killed_after_its_first_step_resumes_to_the_same_result(tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    done = _cli(*TUNE, "--steps", "3", "--engine", "planner:0", "--run-dir", str(whole))
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    proc = _cli(*TUNE, "--steps", "3", "--engine", "planner:1.0", "--run-dir", str(killed))
    _wait_for_steps(killed, proc, 1)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert 1 <= len(_steps(killed)) < 3 and _status(killed) == "running"
    resumed = _cli("radiotherapy", "tune", "--resume", str(killed), "--quiet")
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert "goals met:" in out
    a, b = _steps(whole), _steps(killed)
    assert [s["step"] for s in b] == [0, 1, 2]
    assert [s["parameters"] for s in a] == [s["parameters"] for s in b]
    assert [s["evaluated_plan"] for s in a] == [s["evaluated_plan"] for s in b]
    assert [s["optimizer"] for s in a] == [s["optimizer"] for s in b]
    assert (whole / "final_plan.json").read_text() == (killed / "final_plan.json").read_text()
    meta = json.loads((killed / "run.json").read_text())
    assert meta["status"] == "completed" and meta["resumed"] == 1
    assert meta["config"]["engine"] == "planner:1.0"  # the saved settings were reused
    summary = json.loads((whole / "run.json").read_text())["summary"]
    assert _untimed(meta["summary"]) == _untimed(summary)


def _untimed(value):
    """The value without its wall-clock timings (``seconds``), which differ from run to run."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if k != "seconds"}
    return value


def _one_error_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("textgrad-sci ")]
    assert len(lines) == 1, err
    return lines[0]


def test_unreachable_engine_marks_the_run_failed_in_one_line(tmp_path):
    run = tmp_path / "run"
    proc = _cli(*TUNE, "--steps", "2", "--engine", "openai:m@http://127.0.0.1:9/v1",
                "--run-dir", str(run))
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1
    line = _one_error_line(err)
    assert line.startswith("textgrad-sci radiotherapy tune: the engine failed")
    meta = json.loads((run / "run.json").read_text())
    assert meta["status"] == "failed" and "the engine failed" in meta["summary"]["error"]
    assert _steps(run) == []


def test_ctrl_c_marks_the_run_interrupted_in_one_line(tmp_path):
    run = tmp_path / "run"
    proc = _cli(*TUNE, "--steps", "3", "--engine", "planner:2", "--run-dir", str(run))
    _wait_for_steps(run, proc, 1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted" in _one_error_line(err)
    assert _status(run) == "interrupted"
    assert len(_steps(run)) == 1
