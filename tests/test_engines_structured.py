"""Structured output over HTTP: what is asked of a server for each output format, how refusals
are learned, how JSON answers come back as tags, cut-off streams and spec settings (against the
stdlib test server; the same against llama.cpp's real server is in test_engines_llama_server)."""

from __future__ import annotations

import json

import pytest
from engines_support import FakeOpenAIServer, mode_of

import textgrad_sci as tg
from textgrad_sci.engines import EngineError, OutputSpec, SpecError, get_engine
from textgrad_sci.engines.grammar import (
    ANY_TEXT_GBNF,
    literal_choices,
    tag_body,
    tag_grammar,
    tag_schema,
    wrap_tag,
)
from textgrad_sci.engines.openai_engine import OpenAIEngine
from textgrad_sci.engines.retry import RetryPolicy
from textgrad_sci.formats import TagFormat

KEY = "sk-test-structured-0123456789abcdef"
SMILES_BODY = 'tok{1,80}\ntok ::= [CNOcno()=1-9]'


@pytest.fixture
def server():
    with FakeOpenAIServer() as s:
        yield s


def make(server, **kw) -> OpenAIEngine:
    retry = RetryPolicy(max_attempts=3, sleep=lambda s: None)
    return OpenAIEngine("test-model", base_url=server.url, api_key=KEY, retry=retry, **kw)


def modes(server) -> list[str]:
    return [mode_of(r["body"]) for r in server.requests]


def test_one_grammar_helper_serves_formats_and_the_local_engine():
    assert TagFormat().grammar() == tag_grammar("IMPROVED_VARIABLE")
    assert tag_body(TagFormat(tag="S", body_gbnf=SMILES_BODY).grammar(), "S") == SMILES_BODY
    assert tag_body('root ::= "x"', "S") is None
    assert literal_choices('"CCO" | "C\\"N" |"c1ccccc1"') == ["CCO", 'C"N', "c1ccccc1"]
    assert literal_choices(SMILES_BODY) is None and literal_choices('"a" b') is None
    assert tag_schema("S", '"A" | "B"') == (
        {"type": "object", "properties": {"S": {"type": "string", "enum": ["A", "B"]}},
         "required": ["S"], "additionalProperties": False},
        True,
    )  # fmt: skip
    assert tag_schema("S", ANY_TEXT_GBNF)[1] and not tag_schema("S", SMILES_BODY)[1]


def test_json_answers_are_wrapped_back_into_tags():
    assert wrap_tag('{"A": " x y "}', "A") == "<A>x y</A>"
    assert wrap_tag('{"A": "<A>x</A>"}', "A") == "<A>x</A>"
    assert wrap_tag('{"A": "cut off mid-sent', "A") == "<A>cut off mid-sent"
    assert wrap_tag('{"A": "ends in an escape \\', "A") == "<A>ends in an escape "
    assert wrap_tag("no json at all", "A") == "no json at all"
    with pytest.raises(tg.FormatError, match="opened <A> but never closed"):
        TagFormat("A").parse(wrap_tag('{"A": "cut', "A"))


def test_tags_are_asked_for_as_a_json_schema_and_come_back_as_tags(server):
    server.responder = lambda body: json.dumps({"IMPROVED_VARIABLE": "a better answer"})
    x = tg.Variable("an answer", role_description="answer", requires_grad=True)
    x.add_gradient("be better")
    [report] = tg.TGD([x], engine=make(server)).step()
    assert report.accepted and x.value == "a better answer"
    body = server.requests[0]["body"]
    schema = body["response_format"]["json_schema"]["schema"]
    assert schema["properties"] == {"IMPROVED_VARIABLE": {"type": "string", "minLength": 1}}
    assert "IMPROVED_VARIABLE" in body["messages"][-1]["content"]  # the JSON hint


def test_a_server_refusing_json_schema_gets_json_object_with_the_schema(server):
    server.refuses = {"json_schema"}
    server.responder = lambda body: '{"S": "CCN"}'
    engine = make(server)
    spec = TagFormat(tag="S", body_gbnf='"CCO" | "CCN"').spec()  # a choice among values
    assert engine.chat("pick", output=spec) == "<S>CCN</S>"
    assert modes(server) == ["json_schema", "json_object"]
    sent = server.requests[1]["body"]["response_format"]
    assert sent["schema"]["properties"]["S"]["enum"] == ["CCO", "CCN"]
    assert engine.chat("pick again", output=spec) == "<S>CCN</S>"
    assert modes(server)[2:] == ["json_object"]  # remembered: json_schema is not asked again


def test_refusals_of_every_mode_end_in_free_text_with_format_retries(server):
    server.refuses = {"json_schema", "json_object", "grammar"}
    tagged = "<IMPROVED_VARIABLE>{}</IMPROVED_VARIABLE>"
    answers = iter(["I think the answer is better now.", tagged.format("v2"), tagged.format("v3")])
    server.responder = lambda body: next(answers)
    engine = make(server)
    x = tg.Variable("v1", role_description="a version", requires_grad=True)
    optimizer = tg.TGD([x], engine=engine, max_retries=2)
    x.add_gradient("increase it")
    [report] = optimizer.step()
    assert report.accepted and x.value == "v2" and report.attempts == 2
    assert modes(server) == ["json_schema", "json_object", "grammar", "text", "text"]
    assert engine.refused == {"json_schema", "json_object", "grammar"}
    assert engine.structured_output == "text"
    x.add_gradient("again")
    optimizer.step()
    assert x.value == "v3" and modes(server)[5:] == ["text"]
    assert engine.describe()["refused"] == ["grammar", "json_object", "json_schema"]


def test_a_grammar_body_goes_to_the_grammar_first_then_to_a_json_string(server):
    spec = TagFormat(tag="SMILES", body_gbnf=SMILES_BODY).spec()
    server.responder = lambda body: (
        "<SMILES>CCO</SMILES>" if "grammar" in body else '{"SMILES": "CCN"}'
    )
    engine = make(server)
    assert engine.chat("a molecule", output=spec) == "<SMILES>CCO</SMILES>"
    assert server.requests[0]["body"]["grammar"] == spec.grammar
    assert "response_format" not in server.requests[0]["body"]
    openai_like = make(server)
    server.refuses = {"grammar"}
    assert openai_like.chat("a molecule", output=spec) == "<SMILES>CCN</SMILES>"
    assert modes(server)[1:] == ["grammar", "json_schema"]
    assert openai_like.refused == {"grammar"}


def test_an_outage_teaches_nothing(server):
    server.down = ("status", 500, {}, "overloaded")
    engine = make(server)
    with pytest.raises(EngineError, match="gave up after 3 attempts.*HTTP 500"):
        engine.chat("hi", output=TagFormat().spec())
    assert engine.refused == set() and engine.structured_output == "json_schema"


def test_a_cut_off_stream_is_retried_and_the_engine_then_goes_one_at_a_time(server):
    server.then(("cut", "the first half of"), ("ok", "a whole answer"))
    engine = make(server, stream=True)
    response = engine.complete(engine.request("hi"))
    assert (response.text, response.finish_reason) == ("a whole answer", "stop")
    assert response.retries == 1
    assert response.completion_tokens == 3 and response.prompt_tokens == 7  # stream usage
    assert engine.one_at_a_time and engine.usage.total.retries == 1
    assert all(r["body"]["stream"] for r in server.requests)


def test_a_stream_that_never_finishes_fails_with_a_clear_error(server):
    server.down = ("cut", "always cut")
    with pytest.raises(EngineError, match="gave up after 3 attempts.*no finish_reason.*"
                       r"concurrency=1"):  # fmt: skip
        make(server, stream=True).chat("hi")


def test_streamed_tags_come_back_as_tags(server):
    server.responder = lambda body: '{"A": "streamed value"}'
    answer = make(server, stream=True).chat("hi", output=OutputSpec(tag="A"))
    assert answer == "<A>streamed value</A>"


def test_concurrency_in_the_spec_caps_requests_in_flight(server):
    import time

    def slow(body):
        time.sleep(0.05)
        return "done"

    server.responder = slow
    engine = get_engine(f"openai:test-model@{server.url}?concurrency=1", cache=None)
    assert engine.max_concurrency == 1
    answers = tg.parallel_map(lambda i: engine.chat(f"q{i}"), range(4), concurrency=4)
    assert answers == ["done"] * 4 and server.max_in_flight == 1
    streaming = get_engine(f"openai:test-model@{server.url}?stream=1&timeout=5", cache=None)
    assert streaming.stream and streaming.timeout == 5.0


@pytest.mark.parametrize(
    "spec, message",
    [
        ("openai:m@http://127.0.0.1:8000/v1?concurrency=0", "concurrency='0': must be a positive"),
        ("openai:m@http://127.0.0.1:8000/v1?concurrency=many", "must be a positive integer"),
        ("openai:m@127.0.0.1:8000/v1", "'127.0.0.1:8000/v1' must start with http://"),
        ("openai:m@localhost:8000/v1", "must start with http:// or https://"),
        ("openai:m@http://127.0.0.1:8000/v1?threads=2", "unknown openai engine setting 'threads'"),
        ("openai:m@http://127.0.0.1:8000/v1?stream=maybe", "stream='maybe': must be 1 or 0"),
    ],
)
def test_bad_specs_give_a_clear_error(spec, message):
    with pytest.raises(SpecError, match=message.replace("?", r"\?")):
        get_engine(spec)


def test_a_base_url_without_a_scheme_is_refused_from_the_environment_too(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "127.0.0.1:8000/v1")
    with pytest.raises(SpecError, match="must start with http://"):
        get_engine("openai:m")
