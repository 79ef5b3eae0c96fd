"""OpenAIEngine against a scripted OpenAI-compatible server on 127.0.0.1 (the real SDK client)."""

from __future__ import annotations

import json
import re
import time

import pytest
from engines_support import FakeOpenAIServer

import textgrad_sci as tg
from textgrad_sci.config import default_engine_spec
from textgrad_sci.engines import EngineError, OutputSpec, get_engine
from textgrad_sci.engines.openai_engine import OpenAIEngine
from textgrad_sci.engines.retry import RetryPolicy, parse_retry_after

KEY = "sk-test-0123456789abcdefghijklmnop"
SCHEMA = {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]}


@pytest.fixture
def server():
    with FakeOpenAIServer() as s:
        yield s


def make(server, attempts=3, timeout=5.0, **kw):
    sleeps: list[float] = []
    retry = RetryPolicy(max_attempts=attempts, sleep=sleeps.append)
    engine = OpenAIEngine("test-model", base_url=server.url, api_key=KEY, timeout=timeout,
                          retry=retry, **kw)  # fmt: skip
    engine.sleeps = sleeps
    return engine


def test_request_shape_headers_and_usage(server):
    server.then(("ok", "hello there", 11, 2))
    engine = make(server)
    answer = engine.chat(
        "hi", system_prompt="be brief", temperature=0.3, max_tokens=20, seed=7, stop=["END"]
    )
    assert answer == "hello there"
    [req] = server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["authorization"] == f"Bearer {KEY}"
    body = req["body"]
    assert body["model"] == "test-model"
    assert body["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]
    assert (body["temperature"], body["max_tokens"], body["seed"], body["stop"]) == (
        0.3, 20, 7, ["END"],
    )  # fmt: skip
    assert "response_format" not in body
    total = engine.usage.total
    assert (total.calls, total.prompt_tokens, total.completion_tokens) == (1, 11, 2)


def test_extra_sampling_parameters_reach_the_server(server):
    make(server).chat("hi", presence_penalty=0.5)
    assert server.requests[0]["body"]["presence_penalty"] == 0.5


def test_cost_is_accounted_per_model(server):
    server.then(("ok", "x", 1000, 500))
    engine = make(server, price_per_million=(2.0, 8.0))
    engine.chat("hi")
    assert engine.usage.total.cost_usd == pytest.approx((1000 * 2 + 500 * 8) / 1e6)


def test_json_schema_is_requested_as_response_format(server):
    server.then(("ok", '{"x": "1"}'))
    assert make(server).chat("hi", output=OutputSpec(json_schema=SCHEMA)) == '{"x": "1"}'
    fmt = server.requests[0]["body"]["response_format"]
    assert fmt == {
        "type": "json_schema",
        "json_schema": {"name": "output", "schema": SCHEMA, "strict": False},
    }


def test_structured_output_falls_back_and_remembers(server):
    server.then(
        ("status", 500, {}, '{"error": "json_schema is not supported"}'),
        ("status", 400, {}, '{"error": "unknown field schema"}'),
        ("ok", '{"x": "1"}'),
        ("ok", '{"x": "2"}'),
    )
    engine = make(server)
    assert engine.chat("hi", output=OutputSpec(json_schema=SCHEMA)) == '{"x": "1"}'
    kinds = [r["body"].get("response_format", {}).get("type") for r in server.requests]
    assert kinds == ["json_schema", "json_object", None]
    assert json.dumps(SCHEMA) in server.requests[2]["body"]["messages"][-1]["content"]
    assert engine.refused == {"json_schema", "json_object"}
    assert engine.chat("again", output=OutputSpec(json_schema=SCHEMA)) == '{"x": "2"}'
    assert len(server.requests) == 4 and "response_format" not in server.requests[3]["body"]
    assert engine.usage.total.retries == 0


def test_rate_limit_honours_retry_after(server):
    server.then(("status", 429, {"Retry-After": "2"}, '{"error": "slow down"}'), ("ok", "done"))
    engine = make(server)
    response = engine.complete(engine.request("hi"))
    assert response.text == "done" and response.retries == 1
    assert engine.sleeps == [2.0]
    assert engine.usage.total.retries == 1


def test_retry_after_header_forms():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_server_errors_are_retried_with_growing_backoff(server):
    server.then(*[("status", 500, {}, "boom")] * 2, ("ok", "fine"))
    engine = make(server, attempts=3)
    assert engine.chat("hi") == "fine"
    assert len(server.requests) == 3 and len(engine.sleeps) == 2
    assert 0 <= engine.sleeps[0] <= 0.5 and 0 <= engine.sleeps[1] <= 1.0


def test_persistent_server_errors_fail_with_a_clear_error(server):
    server.then(*[("status", 503, {}, "down for maintenance")] * 3)
    engine = make(server, attempts=3)
    with pytest.raises(EngineError, match="gave up after 3 attempts.*HTTP 503.*maintenance"):
        engine.chat("hi")
    total = engine.usage.total
    assert (total.failures, total.retries) == (1, 2)


def test_client_errors_are_not_retried(server):
    server.then(("status", 401, {}, '{"error": "invalid key"}'))
    engine = make(server)
    with pytest.raises(EngineError, match="HTTP 401.*invalid key"):
        engine.chat("hi")
    assert len(server.requests) == 1 and engine.sleeps == []


def test_hung_response_times_out_and_is_retried(server):
    server.then(("hang", 1.5), ("ok", "after the hang"))
    engine = make(server, timeout=0.3)
    assert engine.chat("hi") == "after the hang"
    assert len(server.requests) == 2


def test_hung_server_gives_a_timeout_error(server):
    server.then(("hang", 1.0), ("hang", 1.0))
    with pytest.raises(EngineError, match="gave up after 2 attempts.*timed out after 0.2s"):
        make(server, attempts=2, timeout=0.2).chat("hi")


@pytest.mark.parametrize(
    "fault, message",
    [(("truncated",), "connection failed"), (("garbage",), "not valid JSON")],
)
def test_broken_bodies_are_retried_then_reported(server, fault, message):
    server.then(fault, ("ok", "recovered"))
    assert make(server).chat("hi") == "recovered"
    server.then(fault, fault)
    with pytest.raises(EngineError, match=f"gave up after 2 attempts.*{message}"):
        make(server, attempts=2).chat("hi")


def test_specs_and_environment(monkeypatch, server):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TEXTGRAD_SCI_ENGINE", raising=False)
    assert default_engine_spec() == "local"
    engine = get_engine(f"openai:my-model@{server.url}")
    assert (engine.model, engine.base_url) == ("my-model", server.url)
    with pytest.raises(EngineError, match="needs an API key"):
        get_engine("openai:gpt-4o-mini")
    with pytest.raises(ValueError, match="needs a model name"):
        get_engine(f"openai:@{server.url}")
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_ORG_ID", "org-test")
    engine = get_engine("openai:env-model", retry=RetryPolicy(max_attempts=1))
    assert engine.chat("hi") == "ok"
    headers = server.requests[-1]["headers"]
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["openai-organization"] == "org-test"
    monkeypatch.setenv("OPENAI_MODEL", "env-model")
    assert default_engine_spec() == "openai:env-model"
    monkeypatch.setenv("TEXTGRAD_SCI_ENGINE", "scripted:hi")
    assert default_engine_spec() == "scripted:hi"


def test_optimizer_step_through_the_server(server):
    server.responder = lambda body: "<IMPROVED_VARIABLE>a better answer</IMPROVED_VARIABLE>"
    engine = make(server)
    x = tg.Variable("an answer", role_description="answer", requires_grad=True)
    x.add_gradient("be better")
    [report] = tg.TGD([x], engine=engine).step()
    assert report.accepted and x.value == "a better answer"


def _last_user(body: dict) -> str:
    return [m["content"] for m in body["messages"] if m["role"] == "user"][-1]


def _next_version(body: dict) -> str:
    current = re.findall(r"\bv(\d+)\b", _last_user(body))
    return f"<IMPROVED_VARIABLE>v{int(current[0]) + 1}</IMPROVED_VARIABLE>"


def _optimize(run_dir, engine, steps: int) -> tg.Variable:
    x = tg.Variable("v0", role_description="a version tag", requires_grad=True, name="x")
    optimizer = tg.TGD([x], engine=engine)
    run = tg.Run(run_dir, {"steps": steps}, engine)
    run.restore([x], optimizer)
    for i in run.remaining(steps):
        with run.step(i) as s:
            x.add_gradient("increase the version number by one")
            reports = optimizer.step()
            optimizer.zero_grad()
            s.record(parameters=[x], losses={"version": int(x.value[1:])}, updates=reports)
    run.finish({"final": x.value})
    return x


def test_a_failing_server_never_loses_completed_steps(server, tmp_path):
    server.responder = _next_version
    engine = make(server, attempts=2)

    def fail_from_step(body):  # answers v3 -> v4, then the server goes down
        if "v3" in _last_user(body):
            server.down = ("status", 502, {}, "bad gateway")
        return _next_version(body)

    server.responder = fail_from_step
    with pytest.raises(EngineError, match="HTTP 502"):
        _optimize(tmp_path / "run", engine, 5)
    run = tg.Run(tmp_path / "run")
    assert [s["parameters"]["x"] for s in run.steps()] == ["v1", "v2", "v3", "v4"]
    assert run.events()[-1]["kind"] == "step_failed"
    server.down = None
    server.responder = _next_version
    x = _optimize(tmp_path / "run", engine, 5)
    assert x.value == "v5"
    steps = tg.Run(tmp_path / "run").steps()
    assert [s["step"] for s in steps] == list(range(5))
    assert [s["losses"]["version"] for s in steps] == [1, 2, 3, 4, 5]


def test_concurrency_limit_bounds_requests_in_flight(server):
    def slow(body):
        time.sleep(0.1)
        return "done"

    server.responder = slow
    engine = make(server, max_concurrency=2)
    answers = tg.parallel_map(lambda i: engine.chat(f"question {i}"), range(6), concurrency=6)
    assert answers == ["done"] * 6
    assert server.max_in_flight == 2


def test_grammar_is_sent_in_grammar_mode_only(server):
    spec = OutputSpec(grammar='root ::= "Answer: " [0-9]+')  # no tag, no schema: grammar first
    make(server).chat("hi", output=spec)
    assert server.requests[-1]["body"]["grammar"] == spec.grammar
    make(server, grammar_field=None).chat("hi", output=spec)
    assert "grammar" not in server.requests[-1]["body"]
    make(server, grammar_field="guided_grammar").chat("hi", output=spec)
    assert server.requests[-1]["body"]["guided_grammar"] == spec.grammar


def test_an_outage_does_not_downgrade_structured_output(server):
    server.then(*[("status", 500, {}, "overloaded")] * 3, ("ok", '{"x": "1"}'))
    engine = make(server, attempts=2)
    assert engine.chat("hi", output=OutputSpec(json_schema=SCHEMA)) == '{"x": "1"}'
    assert engine.structured_output == "json_schema"
    assert engine.usage.total.retries == 1
