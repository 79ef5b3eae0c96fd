"""Run directories: step lines, resume after a crash, torn lines, no secret ever written."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from core_support import responder

import textgrad_sci as tg
from textgrad_sci.run import read_jsonl

FAKE_KEY = "sk-test-NOTREAL-abcdefghijklmnopqrstuvwxyz0123"

LOOP = textwrap.dedent(
    """
    import os, sys
    import textgrad_sci as tg

    crash_at = int(sys.argv[2])
    counter = {"n": 0}

    def update(request):
        counter["n"] += 1
        return f"<IMPROVED_VARIABLE>draft v{counter['n']}</IMPROVED_VARIABLE>"

    def respond(request):
        system = request.messages[0][1]
        if system.startswith("You are the optimizer"):
            return update(request)
        return "feedback: make it shorter"

    engine = tg.ScriptedEngine(respond)
    draft = tg.Variable("draft v0", "a draft", name="draft")
    opt = tg.TGD([draft], engine=engine, gradient_memory=3)
    run = tg.Run(sys.argv[1], config={"steps": 5}, engine=engine)
    run.restore([draft], opt)
    for step in run.remaining(5):
        if step == crash_at:
            os._exit(17)  # a hard crash: no cleanup, no finally blocks
        with run.step(step) as s:
            opt.zero_grad()
            loss = tg.TextLoss("Evaluate the draft.", engine=engine)(draft)
            loss.backward(engine)
            reports = opt.step()
            s.record(parameters=[draft], losses={"length": len(draft.value)},
                     graph=tg.graph_snapshot(loss), updates=reports, optimizer=opt)
    run.finish({"final": draft.value})
    print(draft.value)
    """
)


def _run_loop(run_dir, crash_at: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", LOOP, str(run_dir), str(crash_at)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_killed_run_resumes_from_last_completed_step(tmp_path):
    run_dir = tmp_path / "run"
    crashed = _run_loop(run_dir, crash_at=3)
    assert crashed.returncode == 17
    steps = read_jsonl(run_dir / "steps.jsonl")
    assert [s["step"] for s in steps] == [0, 1, 2]
    assert steps[-1]["parameters"]["draft"] == "draft v3"
    assert len(steps[-1]["optimizer"]["memory"]["draft"]) == 3
    assert json.loads((run_dir / "run.json").read_text())["status"] == "running"
    assert [e["kind"] for e in read_jsonl(run_dir / "events.jsonl")] == []

    resumed = _run_loop(run_dir, crash_at=-1)
    assert resumed.returncode == 0, resumed.stderr
    steps = read_jsonl(run_dir / "steps.jsonl")
    assert [s["step"] for s in steps] == [0, 1, 2, 3, 4]
    # the resumed process continued from v3, so the values carry on instead of restarting
    assert steps[3]["updates"][0]["old_value"] == "draft v3"
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["status"] == "completed" and meta["resumed"] == 1
    assert steps[3]["usage"]["total"]["calls"] == 3  # evaluation, backward, update
    assert {"total"} <= set(steps[3]["timings"])
    assert steps[3]["graph"]["nodes"][0]["name"] == "draft"


def test_torn_last_line_is_ignored(tmp_path):
    run = tg.Run(tmp_path)
    with run.step(0) as s:
        s.record(losses={"a": 1})
    with open(run.steps_path, "a") as f:
        f.write('{"step": 1, "losses": {"a"')  # a crash in the middle of a write
    assert [s["step"] for s in run.steps()] == [0]
    assert run.next_step == 1


def test_failed_step_is_not_recorded_but_logged(tmp_path):
    run = tg.Run(tmp_path)
    with pytest.raises(RuntimeError):
        with run.step(0):
            raise RuntimeError("server down")
    assert run.steps() == []
    assert run.events()[0]["kind"] == "step_failed"
    assert "server down" in run.events()[0]["error"]


def test_no_secret_is_ever_written(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    engine = tg.ScriptedEngine(
        responder(update=f"<IMPROVED_VARIABLE>key {FAKE_KEY}</IMPROVED_VARIABLE>")
    )
    run = tg.Run(
        tmp_path, config={"api_key": FAKE_KEY, "note": f"Bearer {FAKE_KEY}"}, engine=engine
    )
    draft = tg.Variable("draft", "a draft", name="draft")
    with run.step(0) as s:
        loss = tg.TextLoss("Evaluate.", engine=engine)(draft)
        loss.backward(engine)
        reports = tg.TGD([draft], engine=engine).step()
        s.record(parameters=[draft], graph=tg.graph_snapshot(loss), updates=reports)
    run.event("note", text=f"the key is {FAKE_KEY}")
    run.finish({"final": draft.value})
    written = "".join(p.read_text() for p in tmp_path.iterdir())
    assert FAKE_KEY not in written
    assert "[REDACTED]" in written
    assert "api_key" not in json.loads((tmp_path / "run.json").read_text())["config"]


def test_default_run_dir_names_the_command_and_utc_time():
    import re

    from textgrad_sci.run import default_run_dir

    path = default_run_dir("molecule")
    assert path.parent.name == "runs"
    assert re.fullmatch(r"molecule-\d{8}T\d{6}Z", path.name)
