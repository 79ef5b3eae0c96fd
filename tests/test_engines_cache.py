"""The disk cache: stable keys, hits across processes, concurrent writers, the off switch."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from dataclasses import replace

import pytest

from textgrad_sci.engines import EngineError, OutputSpec, ScriptedEngine, build_request, get_engine
from textgrad_sci.engines.cache import DiskCache, default_cache_dir, resolve_cache

CHILD = """
import json, sys
from textgrad_sci.engines import ScriptedEngine
from textgrad_sci.engines.cache import DiskCache
engine = ScriptedEngine(sys.argv[2])
engine.cache = DiskCache(sys.argv[1])
response = engine.complete(engine.request("What is 2+2?", max_tokens=8, seed=1))
print(json.dumps({"text": response.text, "cached": response.cached,
                  "key": engine.request("What is 2+2?", max_tokens=8, seed=1).key()}))
"""

WRITER = """
import sys
from textgrad_sci.engines import ChatResponse, build_request
from textgrad_sci.engines.cache import DiskCache
cache, worker = DiskCache(sys.argv[1]), int(sys.argv[2])
for i in range(60):
    request = build_request("m", f"prompt {i % 40}")
    cache.put(request.key(), request, ChatResponse(text=f"answer {i % 40}", prompt_tokens=i))
    cache.get(build_request("m", f"prompt {(i * 7) % 40}").key())
"""


def _child(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_cache_hits_across_processes(tmp_path):
    first = json.loads(_child(CHILD, str(tmp_path), "four"))
    second = json.loads(_child(CHILD, str(tmp_path), "something else"))
    assert (first["text"], first["cached"]) == ("four", False)
    assert (second["text"], second["cached"]) == ("four", True)
    engine = ScriptedEngine("here")
    assert engine.request("What is 2+2?", max_tokens=8, seed=1).key() == first["key"]


def test_key_changes_with_every_sampling_parameter():
    base = build_request("m", "hello", system_prompt="sys")
    variants = [
        replace(base, model="m2"),
        build_request("m", "hello!", system_prompt="sys"),
        build_request("m", "hello", system_prompt="sys2"),
        build_request("m", "hello"),
        replace(base, temperature=0.5),
        replace(base, max_tokens=10),
        replace(base, top_p=0.9),
        replace(base, seed=3),
        replace(base, stop=("END",)),
        replace(base, output=OutputSpec(tag="A")),
        replace(base, output=OutputSpec(grammar='root ::= "x"')),
        replace(base, output=OutputSpec(json_schema={"type": "object"})),
        build_request("m", "hello", system_prompt="sys", repeat_penalty=1.1),
        build_request("m", [{"role": "assistant", "content": "hello"}], system_prompt="sys"),
    ]
    keys = {base.key()} | {v.key() for v in variants}
    assert len(keys) == len(variants) + 1
    assert build_request("m", "hello", system_prompt="sys").key() == base.key()


def test_engine_uses_cache_and_counts_hits(tmp_path):
    engine = ScriptedEngine(["first", "second", "third"])
    engine.cache = DiskCache(tmp_path)
    assert engine.chat("q") == "first"
    assert engine.chat("q") == "first"
    assert engine.chat("q", temperature=0.7) == "second"  # sampled without a seed: not cached
    assert engine.chat("q", temperature=0.7) == "third"
    total = engine.usage.total
    assert (total.calls, total.cache_hits) == (4, 1)
    assert len(engine.cache) == 1


def test_concurrent_writers_do_not_corrupt_the_cache(tmp_path):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), str(w)], stderr=subprocess.PIPE, text=True
        )  # fmt: skip
        for w in range(3)
    ]
    cache = DiskCache(tmp_path)
    errors: list[BaseException] = []

    def thread_writer(offset: int) -> None:
        try:
            for i in range(40):
                request = build_request("m", f"prompt {(i + offset) % 40}")
                cache.put(request.key(), request, cache_response(i + offset))
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=thread_writer, args=(k * 13,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        assert p.wait(timeout=60) == 0, p.stderr.read()
    assert not errors
    assert len(cache) == 40
    for i in range(40):
        hit = cache.get(build_request("m", f"prompt {i}").key())
        assert hit is not None and hit.text == f"answer {i}" and hit.cached
    check = sqlite3.connect(cache.path).execute("PRAGMA integrity_check").fetchone()
    assert check == ("ok",)


def cache_response(i: int):
    from textgrad_sci.engines import ChatResponse

    return ChatResponse(text=f"answer {i % 40}")


def test_cache_location_and_off_switch(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTGRAD_SCI_CACHE", "off")
    assert default_cache_dir() is None and resolve_cache("auto") is None
    assert get_engine("local").cache is None
    monkeypatch.setenv("TEXTGRAD_SCI_CACHE", str(tmp_path / "c"))
    engine = get_engine("local")
    assert isinstance(engine.cache, DiskCache) and engine.cache.directory == tmp_path / "c"
    assert get_engine("local", cache=False).cache is None
    assert get_engine("local", cache="off").cache is None
    assert get_engine("local", cache=tmp_path / "d").cache.directory == tmp_path / "d"
    assert get_engine("scripted:x").cache is None
    monkeypatch.delenv("TEXTGRAD_SCI_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "textgrad-sci"


def test_a_corrupt_cache_file_is_a_clear_error(tmp_path):
    (tmp_path / "engine-cache.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(EngineError, match="not a usable SQLite database.*TEXTGRAD_SCI_CACHE=off"):
        DiskCache(tmp_path)
