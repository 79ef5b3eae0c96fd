"""Record a run into a cassette and replay it with no model: identical variables, loud misses."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

import textgrad_sci as tg
from textgrad_sci.engines import EngineError, ScriptedEngine, get_engine
from textgrad_sci.engines.replay import CassetteRecorder, ReplayEngine, ReplayMiss

INSTRUCTION = "Judge whether this plan is specific enough. Be brief."
SALT = uuid.uuid4().hex  # answers differ on every recording, so replay must use the cassette


def responder(request) -> str:
    digest = hashlib.sha256((SALT + repr(request.messages)).encode()).hexdigest()[:10]
    if request.output is not None:
        return f"<IMPROVED_VARIABLE>plan {digest}</IMPROVED_VARIABLE>"
    return f"critique {digest}"


def optimize(engine, steps: int = 3, instruction: str = INSTRUCTION) -> list[str]:
    plan = tg.Variable("a plan", role_description="a research plan", requires_grad=True)
    optimizer = tg.TGD([plan], engine=engine, gradient_memory=2)
    loss_fn = tg.TextLoss(instruction, engine=engine)
    values = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(plan).backward(engine)
        optimizer.step()
        values.append(plan.value)
    return values


def test_recorded_run_replays_identically_without_a_model(tmp_path):
    cassette = tmp_path / "run.cassette.jsonl"
    recorded_engine = get_engine(ScriptedEngine(responder, model="lab-model"), record=cassette)
    recorded = optimize(recorded_engine)
    assert len(set(recorded)) == 3
    replay = get_engine(f"replay:{cassette}")
    assert replay.model == "lab-model"
    assert optimize(replay) == recorded
    assert replay.usage.total.calls == recorded_engine.usage.total.calls
    assert replay.usage.total.completion_tokens == recorded_engine.usage.total.completion_tokens


def test_a_changed_prompt_fails_loudly_naming_the_request(tmp_path):
    cassette = tmp_path / "run.cassette.jsonl"
    optimize(get_engine(ScriptedEngine(responder, model="lab-model"), record=cassette), steps=1)
    replay = ReplayEngine(cassette)
    with pytest.raises(ReplayMiss) as info:
        optimize(replay, steps=1, instruction=INSTRUCTION.replace("brief", "thorough"))
    message = str(info.value)
    assert "request not in cassette" in message and str(cassette) in message
    assert "'lab-model'" in message
    assert '-   "content": "Judge whether this plan is specific enough. Be brief."' in message
    assert '+   "content": "Judge whether this plan is specific enough. Be thorough."' in message
    with pytest.raises(ReplayMiss):
        replay.chat("a question", temperature=0.3)


def test_repeated_requests_replay_in_recorded_order(tmp_path):
    cassette = tmp_path / "c.jsonl"
    engine = get_engine(ScriptedEngine(["one", "two"]), record=cassette)
    assert [engine.chat("q", temperature=1.0) for _ in range(2)] == ["one", "two"]
    replay = ReplayEngine(cassette)
    assert [replay.chat("q", temperature=1.0) for _ in range(3)] == ["one", "two", "two"]


def test_engine_defaults_are_recorded_so_keys_match(tmp_path):
    cassette = tmp_path / "c.jsonl"
    engine = ScriptedEngine("answer", model="m1")
    engine.default_params = {"max_tokens": 64, "seed": 5}
    get_engine(engine, record=cassette).chat("q")
    other = ScriptedEngine("other", model="m2")
    get_engine(other, record=cassette).chat("q")
    replay = ReplayEngine(cassette)
    assert (replay.model, replay.default_params) == ("m1", {"max_tokens": 64, "seed": 5})
    assert replay.chat("q") == "answer"
    assert ReplayEngine(cassette, model="m2").chat("q") == "other"


def test_cassette_errors_are_clear(tmp_path):
    with pytest.raises(EngineError, match="cassette not found"):
        get_engine(f"replay:{tmp_path / 'missing.jsonl'}")
    with pytest.raises(ValueError, match="needs a cassette path"):
        get_engine("replay:")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "engine", "model": "m", "default_params": {}}\nnot json\n{}\n')
    with pytest.raises(EngineError, match="bad.jsonl:2: not a cassette line"):
        ReplayEngine(bad)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(ReplayMiss, match="holds no calls"):
        ReplayEngine(empty).chat("q")


def test_a_torn_last_line_is_ignored(tmp_path):
    cassette = tmp_path / "c.jsonl"
    recorder = CassetteRecorder(cassette)
    engine = ScriptedEngine("kept")
    engine.recorder = recorder
    engine.chat("q")
    with open(cassette, "a") as f:
        f.write('{"kind": "call", "hash": "abc", "requ')
    assert ReplayEngine(cassette, model="scripted").chat("q") == "kept"
    lines = [json.loads(line) for line in cassette.read_text().splitlines()[:1]]
    assert lines[0]["kind"] == "call" and lines[0]["response"]["text"] == "kept"


@pytest.mark.local_model
def test_local_model_run_replays_without_loading_a_model(tmp_path):
    from textgrad_sci.engines import local

    cassette = tmp_path / "local.cassette.jsonl"
    engine = get_engine("local?max_tokens=8", cache=False, record=cassette)
    answer = engine.chat("Name a fruit.")
    local._close_all()
    replay = get_engine(f"replay:{cassette}")
    assert replay.chat("Name a fruit.") == answer
    assert local._models == {}


def test_record_from_environment_for_real_engine_specs(tmp_path, monkeypatch):
    cassette = tmp_path / "env.cassette.jsonl"
    monkeypatch.setenv("TEXTGRAD_SCI_RECORD", str(cassette))
    engine = get_engine("local")
    assert isinstance(engine.recorder, CassetteRecorder) and engine.recorder.path == cassette
    assert get_engine("scripted:x").recorder is None
    assert get_engine(engine) is engine and engine.recorder.path == cassette
    assert [json.loads(line)["kind"] for line in cassette.read_text().splitlines()] == ["engine"]
