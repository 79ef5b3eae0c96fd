"""Through llama.cpp's real OpenAI-compatible server (SmolLM2, one thread): structured updates,
the answer and molecule commands, usage against the server's own counts, concurrency against a
server that serves one request at a time, and an API key that is never written anywhere."""

# ruff: noqa: F811  (tests take the imported session fixture ``llama_server`` as an argument)

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from llama_server_support import llama_server  # noqa: F401  (the session fixture)

import textgrad_sci as tg
from textgrad_sci.engines import EngineError, get_engine
from textgrad_sci.engines.openai_engine import OpenAIEngine
from textgrad_sci.engines.retry import RetryPolicy
from textgrad_sci.formats import TagFormat

pytestmark = pytest.mark.local_model  # the real embedded model, served by llama.cpp's server
SMILES_BODY = 'tok{1,40}\ntok ::= "Cl" | [CNOcno] | [1-6] | [()=]'


def engine_for(server, **kw) -> OpenAIEngine:
    return get_engine(server.spec, api_key=server.api_key, cache=None, **kw)


def test_a_tgd_step_through_the_server_is_accepted(llama_server):
    engine = engine_for(llama_server)
    x = tg.Variable("The capital of Australia is Sydney.", role_description="an answer to a "
                    "geography question", requires_grad=True, name="answer")  # fmt: skip
    x.add_gradient("Sydney is not the capital of Australia; Canberra is.")
    [report] = tg.TGD([x], engine=engine, sampling={"max_tokens": 80}).step()
    assert report.accepted, report.errors
    assert report.attempts == 1 and x.value.strip() and "<IMPROVED_VARIABLE>" not in x.value
    # learned from the server's refusal (HTTP 500 for json_schema), then json_object worked
    assert engine.refused == {"json_schema"} and engine.structured_output == "json_object"


def test_a_smiles_grammar_goes_to_the_servers_grammar_field(llama_server):
    engine = engine_for(llama_server)
    spec = TagFormat(tag="SMILES", body_gbnf=SMILES_BODY).spec()
    answer = engine.chat("Propose a small drug-like molecule as SMILES.", output=spec,
                         max_tokens=60)  # fmt: skip
    body = TagFormat(tag="SMILES").parse(answer)
    assert re.fullmatch(r"(Cl|[CNOcno1-6()=])+", body), answer
    assert engine.refused == set()  # the grammar was the first mode asked, and it was taken
    choice = TagFormat(tag="SMILES", body_gbnf='"CCO" | "c1ccccc1O"').spec()
    picked = engine.chat("Which of CCO and c1ccccc1O is phenol?", output=choice, max_tokens=20)
    assert picked in ("<SMILES>CCO</SMILES>", "<SMILES>c1ccccc1O</SMILES>")


def test_usage_matches_the_servers_reported_tokens(llama_server):
    engine = engine_for(llama_server)
    question = "Name three primary colors."

    def raw_chat(content: str, max_tokens: int) -> dict:
        return llama_server.post("/chat/completions", {
            "model": llama_server.model, "messages": [{"role": "user", "content": content}],
            "temperature": 0.0, "max_tokens": max_tokens,
        })  # fmt: skip

    # The server reuses the longest cached prompt prefix: a repeated prompt would evaluate one
    # token where the first evaluated the whole question, and on a portable (non -march=native)
    # build the two paths can break a near-tie differently. The same other request before each
    # call makes both evaluate the question from the same cached state.
    raw_chat("Say hello.", max_tokens=1)
    response = engine.complete(engine.request(question, max_tokens=30))
    raw_chat("Say hello.", max_tokens=1)
    raw = raw_chat(question, max_tokens=30)
    assert response.text == raw["choices"][0]["message"]["content"]
    usage = raw["usage"]
    total = engine.usage.total
    assert (total.calls, total.prompt_tokens, total.completion_tokens) == (
        1, usage["prompt_tokens"], usage["completion_tokens"],
    )  # fmt: skip
    assert total.prompt_tokens > 5 and total.completion_tokens > 0


def test_concurrent_streams_are_cut_detected_and_retried(llama_server):
    retry = RetryPolicy(max_attempts=6, base_delay=0.05)
    engine = engine_for(llama_server, stream=True, max_concurrency=2, retry=retry)
    questions = [f"Write a short story about a cat named number {i}." for i in range(2)]
    answers = tg.parallel_map(lambda q: engine.complete(engine.request(q, max_tokens=40)),
                              questions, concurrency=2)  # fmt: skip
    assert engine.one_at_a_time  # a cut stream made the engine go one request at a time
    assert sum(a.retries for a in answers) >= 1
    one = get_engine(llama_server.spec + "?concurrency=1&stream=1", api_key=llama_server.api_key,
                     cache=None)  # fmt: skip
    assert one.max_concurrency == 1
    again = tg.parallel_map(lambda q: one.complete(one.request(q, max_tokens=40)),
                            questions, concurrency=2)  # fmt: skip
    assert [a.retries for a in again] == [0, 0] and not one.one_at_a_time
    # no truncated answer came back as a good one: retried answers equal uninterrupted ones
    assert [a.text for a in answers] == [a.text for a in again]
    assert all(a.finish_reason == "length" and a.completion_tokens == 40 for a in answers)


def test_a_wrong_api_key_is_refused_with_a_clear_error(llama_server):
    engine = get_engine(llama_server.spec, api_key="sk-wrong-key-0123456789abcdef", cache=None)
    with pytest.raises(EngineError, match="HTTP 401") as info:
        engine.chat("hi", max_tokens=5)
    assert "sk-wrong-key" not in str(info.value)


def _cli(server, args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENAI_API_KEY": server.api_key, "TEXTGRAD_SCI_RECORD":
           str(tmp_path / "calls.cassette.jsonl"), "TEXTGRAD_SCI_CACHE": str(tmp_path / "cache")}
    env.pop("TEXTGRAD_SCI_ENGINE", None)
    command = [sys.executable, "-m", "textgrad_sci.cli", *args, "--engine", server.spec,
               "--run-dir", str(tmp_path / "run"), "--quiet"]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)


def _assert_key_written_nowhere(server, tmp_path: Path, result) -> None:
    assert server.api_key not in result.stdout + result.stderr
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".cassette.jsonl") for p in files)
    for path in files:
        assert server.api_key.encode() not in path.read_bytes(), path


@pytest.mark.timeout(900)
def test_answer_refine_through_the_server(llama_server, tmp_path):
    result = _cli(llama_server, ["answer", "refine", "--question", "What is 12 + 30?",
                                 "--answer", "42", "--steps", "1", "--max-tokens", "60",
                                 "--critic-max-tokens", "60"], tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "majority vote:" in result.stdout
    run = tg.Run(tmp_path / "run")
    assert len(run.steps()) == 2
    usage = run.steps()[-1].get("usage") or {}
    assert usage, run.steps()[-1].keys()
    _assert_key_written_nowhere(llama_server, tmp_path, result)


@pytest.mark.timeout(900)
def test_molecule_optimize_one_step_through_the_server(llama_server, tmp_path):
    result = _cli(llama_server, ["molecule", "optimize", "--smiles", "CC(=O)Oc1ccccc1C(=O)O",
                                 "--target", "DRD2", "--steps", "1", "--exhaustiveness", "1"],
                  tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    run = tg.Run(tmp_path / "run")
    [step] = run.steps()
    assert step["updates"], step.keys()
    assert (tmp_path / "run" / "report.html").is_file()
    _assert_key_written_nowhere(llama_server, tmp_path, result)


def test_bad_engine_specs_end_the_command_with_one_clear_line(tmp_path):
    for spec, message in [("openai:m@127.0.0.1:8000/v1", "must start with http://"),
                          ("openai:m@http://127.0.0.1:9/v1?concurrency=0", "positive integer")]:
        result = subprocess.run(
            [sys.executable, "-m", "textgrad_sci.cli", "answer", "refine", "--question", "q",
             "--engine", spec, "--run-dir", str(tmp_path / "bad")],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode != 0 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
