"""The API key never reaches the cache, a cassette, a run directory or the logs."""

from __future__ import annotations

import logging

import pytest
from engines_support import FakeOpenAIServer

import textgrad_sci as tg
from textgrad_sci.engines import EngineError, get_engine
from textgrad_sci.engines.retry import RetryPolicy

ARG_KEY = "sk-proj-ArgumentKey0123456789abcdefXYZ"
ENV_KEY = "envkey-9f8e7d6c5b4a3210"  # no sk- prefix: only its variable name marks it as secret


def _files_containing(root, secret: str) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


@pytest.mark.parametrize("where", ["argument", "environment"])
def test_api_key_never_written(tmp_path, monkeypatch, where):
    key = ARG_KEY if where == "argument" else ENV_KEY
    kwargs = {"api_key": key} if where == "argument" else {}
    if where == "environment":
        monkeypatch.setenv("OPENAI_API_KEY", key)
    log_file = tmp_path / "logs" / "engine.log"
    log_file.parent.mkdir()
    handler = logging.FileHandler(log_file)
    loggers = [logging.getLogger(name) for name in ("textgrad_sci", "openai", "httpx", "httpcore")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:  # everything the call path and the SDK log, at DEBUG
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)

    def leaky(body: dict) -> str:  # a model that repeats the key it was shown
        return f"<IMPROVED_VARIABLE>use key {key} now</IMPROVED_VARIABLE>"

    try:
        with FakeOpenAIServer(leaky) as server:
            server.then(("status", 502, {}, f'{{"error": "bad key {key}"}}'))
            engine = get_engine(
                f"openai:m@{server.url}",
                cache=tmp_path / "cache",
                record=tmp_path / "run.cassette.jsonl",
                retry=RetryPolicy(max_attempts=2, sleep=lambda s: None),
                **kwargs,
            )
            assert key not in repr(engine) and key not in str(engine.describe())
            x = tg.Variable(f"draft mentioning {key}", role_description="draft", name="x")
            run = tg.Run(tmp_path / "run", {"engine": f"openai:m@{server.url}", "api_key": key},
                         engine)  # fmt: skip
            optimizer = tg.TGD([x], engine=engine)
            with run.step(0) as s:
                x.add_gradient(f"do not print {key}")
                reports = optimizer.step()
                s.record(parameters=[x], losses={"n": 1.0}, updates=reports)
            assert key in x.value  # the answer itself reaches the program unchanged
            first = engine.chat("again")
            assert engine.chat("again") == first.replace(key, "[REDACTED]")  # a cache hit
            server.then(*[("status", 401, {}, f"invalid key {key}")])
            with pytest.raises(EngineError) as info:
                engine.chat("fails", max_tokens=3)
            assert key not in str(info.value)
            run.event("engine_error", error=str(info.value))
            run.finish({"final": x.value})
            assert server.requests[0]["headers"]["authorization"] == f"Bearer {key}"
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
        handler.close()
    logged = log_file.read_text()
    assert "attempt 1/2 failed" in logged and "Sending HTTP Request" in logged
    assert engine.usage.total.cache_hits == 1
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "events.jsonl", "run.json", "steps.jsonl",
    ]  # fmt: skip
    assert (tmp_path / "cache" / "engine-cache.sqlite3").stat().st_size > 0
    assert "[REDACTED]" in (tmp_path / "run.cassette.jsonl").read_text()
    assert _files_containing(tmp_path, key) == []
