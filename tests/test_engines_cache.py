"""The disk cache: stable keys, hits across processes, concurrent writers, the off switch."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
from dataclasses import replace

import pytest

from textgrad_sci.engines import (
    ChatResponse,
    EngineError,
    OutputSpec,
    ScriptedEngine,
    build_request,
    get_engine,
)
from textgrad_sci.engines.cache import DiskCache, default_cache_dir, resolve_cache

GOLDEN_KEY = "dd6a23181ae457d75325bfbc1040afe0710cc6d00126776330f45bc89ddfaa64"

# Fork, not spawn: a fresh interpreter would re-import the package (and, in an editable install,
# re-check the native build), which is slow on a busy machine. Each child opens its own
# connection; the golden key below covers stability across interpreters.
FORK = multiprocessing.get_context("fork")


def _ask(directory: str, answer: str, results) -> None:
    engine = ScriptedEngine(answer)
    engine.cache = DiskCache(directory)
    response = engine.complete(engine.request("What is 2+2?", max_tokens=8, seed=1))
    results.put((os.getpid(), response.text, response.cached))


def _write(cache: DiskCache | str, worker: int) -> None:
    cache = DiskCache(cache) if isinstance(cache, str) else cache  # an inherited one reconnects
    for i in range(60):
        request = build_request("m", f"prompt {i % 40}")
        cache.put(request.key(), request, ChatResponse(text=f"answer {i % 40}", prompt_tokens=i))
        cache.get(build_request("m", f"prompt {(i * 7) % 40}").key())


def _in_child(target, *args) -> None:
    child = FORK.Process(target=target, args=args)
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0


def test_key_is_a_stable_content_hash():
    request = build_request(
        "m", "hello", system_prompt="sys", max_tokens=8, seed=1, output=OutputSpec(tag="A")
    )
    assert request.key() == GOLDEN_KEY  # the same in every process and Python version


def test_cache_hits_across_processes(tmp_path):
    results = FORK.Queue()
    _in_child(_ask, str(tmp_path), "four", results)
    _in_child(_ask, str(tmp_path), "something else", results)
    (pid1, text1, cached1), (pid2, text2, cached2) = results.get(timeout=5), results.get(timeout=5)
    assert pid1 != pid2 and os.getpid() not in (pid1, pid2)
    assert (text1, cached1) == ("four", False)
    assert (text2, cached2) == ("four", True)


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
    cache = DiskCache(tmp_path)
    cache.get("warm")  # the parent's connection exists before the fork
    procs = [FORK.Process(target=_write, args=(str(tmp_path), 0))]
    procs += [FORK.Process(target=_write, args=(cache, w)) for w in (1, 2)]
    for p in procs:
        p.start()
    errors: list[BaseException] = []

    def thread_writer(offset: int) -> None:
        try:
            for i in range(40):
                request = build_request("m", f"prompt {(i + offset) % 40}")
                cache.put(request.key(), request, ChatResponse(text=f"answer {(i + offset) % 40}"))
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=thread_writer, args=(k * 13,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert not errors
    assert len(cache) == 40
    for i in range(40):
        hit = cache.get(build_request("m", f"prompt {i}").key())
        assert hit is not None and hit.text == f"answer {i}" and hit.cached
    check = sqlite3.connect(cache.path).execute("PRAGMA integrity_check").fetchone()
    assert check == ("ok",)


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


class _BrokenCache:
    def get(self, key):
        raise sqlite3.OperationalError("disk I/O error")

    def put(self, key, request, response):
        raise sqlite3.OperationalError("database or disk is full")


def test_a_failing_cache_never_loses_an_answer(caplog):
    engine = ScriptedEngine(["fresh", "again"])
    engine.cache = _BrokenCache()
    assert engine.chat("q") == "fresh" and engine.chat("q") == "again"
    assert "cache read failed" in caplog.text and "cache write failed" in caplog.text
