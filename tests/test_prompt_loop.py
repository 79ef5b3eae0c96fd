"""Prompt training and answer refinement on the shared loop, end to end in a child process:
killed runs resume to the same result, failures and Ctrl-C are recorded and reported in one line."""

import json

from loop_support import (
    INTERRUPT,
    KILL,
    UNREACHABLE,
    assert_one_line_no_traceback,
    recorded_steps,
    run_status,
    signal_after_steps,
    start_cli,
)

SETUP = "from prompt_support import register_growing_engine\n" \
        "register_growing_engine('grow', 24, 5, latency={latency})"


def _optimize(run_dir, *extra):
    return ["prompt", "optimize", "--n", "24", "--split", "8,8,8", "--seed", "5", "--epochs", "2",
            "--batch-size", "4", "--engine", "grow:", "--run-dir", str(run_dir), "--quiet",
            *extra]


def _final_prompt(run_dir):
    return json.loads((run_dir / "run.json").read_text())["summary"]["prompt"]


def test_prompt_run_killed_after_a_step_resumes_to_the_same_prompt(tmp_path):
    whole = start_cli(SETUP.format(latency=0), _optimize(tmp_path / "whole"))
    assert whole.wait(120) == 0, whole.stderr.read()
    killed = start_cli(SETUP.format(latency=0.05), _optimize(tmp_path / "killed"))
    signal_after_steps(killed, tmp_path / "killed", KILL)
    assert killed.returncode == -KILL
    assert 1 <= len(recorded_steps(tmp_path / "killed")) < 4
    resumed = start_cli(SETUP.format(latency=0),
                        ["prompt", "optimize", "--resume", str(tmp_path / "killed"), "--engine",
                         "grow:", "--quiet"])
    assert resumed.wait(120) == 0, resumed.stderr.read()
    assert [s["step"] for s in recorded_steps(tmp_path / "killed")] == [0, 1, 2, 3]
    assert _final_prompt(tmp_path / "killed") == _final_prompt(tmp_path / "whole")
    assert "GOOD" in _final_prompt(tmp_path / "whole")
    for step in recorded_steps(tmp_path / "whole"):  # the feedback each update read is recorded
        node = next(n for n in step["graph"]["nodes"] if n["name"] == "system_prompt")
        assert len(node["feedback"]) == 4


def test_prompt_run_interrupted_by_ctrl_c_is_marked_and_says_so(tmp_path):
    proc = start_cli(SETUP.format(latency=0.05), _optimize(tmp_path / "r"))
    _, err = signal_after_steps(proc, tmp_path / "r", INTERRUPT)
    assert proc.returncode == 130 and run_status(tmp_path / "r") == "interrupted"
    assert_one_line_no_traceback(err, "interrupted", f"--resume {tmp_path / 'r'}")


def test_unreachable_engine_fails_the_run_in_one_line(tmp_path):
    for args in (
        ["prompt", "optimize", "--n", "12", "--split", "4,4,4", "--engine", UNREACHABLE],
        ["answer", "refine", "--question", "2+2?", "--engine", UNREACHABLE],
    ):
        run_dir = tmp_path / args[0]
        proc = start_cli("", [*args, "--run-dir", str(run_dir), "--quiet"],
                         env={"OPENAI_API_KEY": "sk-test-unused"})
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, err
        assert run_status(run_dir) == "failed"
        assert "failed" in json.loads((run_dir / "run.json").read_text())["summary"]["error"]
        assert_one_line_no_traceback(err, "the engine failed")


def test_answer_refinement_records_feedback_on_every_updated_answer(tmp_path):
    setup = ("from test_prompt_refine import refine_script\n"
             "from textgrad_sci.engines.registry import register_engine\n"
             "engine, _ = refine_script(['Clue two.\\nAnswer: (C)'])\n"
             "register_engine('refine', lambda _r, **_: engine)")
    proc = start_cli(setup, ["answer", "refine", "--question", "Which?", "--choices", "x", "y",
                             "z", "--steps", "2", "--engine", "refine:", "--run-dir",
                             str(tmp_path / "a"), "--quiet"])
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    steps = recorded_steps(tmp_path / "a")
    assert [s["vote"] for s in steps] == ["A", "C", "C"] and "graph" not in steps[0]
    for step in steps[1:]:
        node = next(n for n in step["graph"]["nodes"] if n["name"] == "answer")
        assert node["feedback"] and step["updates"][0]["accepted"]
