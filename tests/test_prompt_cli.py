"""The ``prompt optimize`` and ``answer refine`` commands, on scripted engines."""

import json

import pytest
from prompt_support import counting_engine
from test_prompt_refine import refine_script
from textgrad_sci.domains.prompt import load_task

from textgrad_sci import ScriptedEngine
from textgrad_sci.cli import main
from textgrad_sci.engines.base import EngineError
from textgrad_sci.engines.registry import register_engine


def test_prompt_optimize_writes_run_table_plot_and_resumes(tmp_path, capsys):
    task = load_task("object-counting", n=24, sizes=(8, 8, 8), seed=5)
    engine, script = counting_engine(task.train + task.val + task.test, ["GOOD prompt"])
    register_engine("promptscript", lambda _rest, **_: engine)
    run_dir = tmp_path / "run"
    args = [
        "prompt",
        "optimize",
        "--task",
        "object-counting",
        "--n",
        "24",
        "--split",
        "8,8,8",
        "--seed",
        "5",
        "--epochs",
        "2",
        "--batch-size",
        "4",
        "--engine",
        "promptscript:",
        "--run-dir",
        str(run_dir),
        "--quiet",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "initial" in out and "GOOD prompt" in out
    table = [line.split() for line in out.splitlines()[:4]]
    assert table[0] == ["epoch", "train", "val", "test", "kept", "steps"]
    assert table[1] == ["initial", "-", "0.000", "0.000", "-"]
    assert table[2][0] == "1" and table[2][3:] == ["1.000", "1/2"]
    assert (run_dir / "plots" / "accuracy.png").stat().st_size > 1000
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["status"] == "completed" and meta["summary"]["final"]["test"] == 1.0
    calls = dict(script.counts)
    resume = ["prompt", "optimize", "--resume", str(run_dir), "--engine", "promptscript:"]
    assert main([*resume, "--quiet"]) == 0
    assert "with its recorded task, n, split, epochs, batch_size, seed" in capsys.readouterr().err
    assert script.counts == calls  # nothing left to do, nothing recomputed


def test_prompt_optimize_reports_bad_input(tmp_path, capsys):
    bad = tmp_path / "d.jsonl"
    bad.write_text('{"question": "q"}\n')
    assert (
        main(
            [
                "prompt",
                "optimize",
                "--dataset",
                str(bad),
                "--engine",
                "scripted:x",
                "--run-dir",
                str(tmp_path / "r"),
                "--quiet",
            ]
        )
        == 2
    )
    assert "missing field(s) answer" in capsys.readouterr().err


def test_answer_refine_votes_and_records(tmp_path, capsys):
    engine, _ = refine_script(["Clue two.\nAnswer: (C)"])
    register_engine("refinescript", lambda _rest, **_: engine)
    run_dir = tmp_path / "ans"
    assert (
        main(
            [
                "answer",
                "refine",
                "--question",
                "Which?",
                "--choices",
                "x",
                "y",
                "z",
                "--answer",
                "C",
                "--steps",
                "2",
                "--engine",
                "refinescript:",
                "--run-dir",
                str(run_dir),
                "--quiet",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "majority vote: C (correct: True)" in out
    steps = [json.loads(line) for line in (run_dir / "steps.jsonl").read_text().splitlines()]
    assert [s["vote"] for s in steps] == ["A", "C", "C"]
    assert (run_dir / "plots" / "votes.png").exists()


def test_answer_refine_resumes_after_a_crash(tmp_path, capsys):
    engine, seen = refine_script(["Clue two.\nAnswer: (C)"])
    inner = engine._script

    def crash_on_second_update(request):
        if request.output is not None and request.output.tag and seen["update"] >= 1:
            raise RuntimeError("simulated crash")
        return inner(request)

    engine._script = crash_on_second_update
    register_engine("refinecrash", lambda _rest, **_: engine)
    run_dir = tmp_path / "ans"
    args = [
        "answer",
        "refine",
        "--question",
        "Which?",
        "--choices",
        "x",
        "y",
        "z",
        "--steps",
        "3",
        "--engine",
        "refinecrash:",
        "--run-dir",
        str(run_dir),
        "--quiet",
    ]
    with pytest.raises(RuntimeError, match="simulated crash"):
        main(args)
    engine2, seen2 = refine_script(["Third.\nAnswer: (B)"])
    register_engine("refinegood", lambda _rest, **_: engine2)
    assert (
        main(["answer", "refine", "--resume", str(run_dir), "--engine", "refinegood:", "--quiet"])
        == 0
    )
    steps = [json.loads(line) for line in (run_dir / "steps.jsonl").read_text().splitlines()]
    assert [s["step"] for s in steps] == [0, 1, 2, 3]
    assert [s["vote"] for s in steps] == ["A", "C", "B", "B"]
    assert seen2["update"] == 2 and "majority vote: B" in capsys.readouterr().out


def test_prompt_optimize_stops_cleanly_when_the_engine_fails(tmp_path, capsys):
    def fail(_request):
        raise EngineError("server unreachable after 3 retries")

    register_engine("promptdown", lambda _rest, **_: ScriptedEngine(fail))
    run_dir = tmp_path / "down"
    args = [
        "prompt",
        "optimize",
        "--n",
        "12",
        "--split",
        "4,4,4",
        "--engine",
        "promptdown:",
        "--run-dir",
        str(run_dir),
        "--quiet",
    ]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "server unreachable" in err and f"--resume {run_dir}" in err
    assert json.loads((run_dir / "run.json").read_text())["status"] == "failed"
