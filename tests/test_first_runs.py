"""Each first run the README documents makes no more model calls than its ``--help`` says.

The run goes through ``textgrad-sci`` in process with the engine spec ``local`` (so the local
model's first-run defaults apply), answered by a scripted engine whose updates never parse: the
worst case, every update retried as often as the settings allow.
"""

import re

import pytest
from radiotherapy_support import planner

from textgrad_sci.cli import main
from textgrad_sci.engines import registry
from textgrad_sci.engines.scripted import ScriptedEngine

FIRST_RUNS = {
    "prompt": ["prompt", "optimize", "--task", "object-counting", "--epochs", "1"],
    "answer": ["answer", "refine", "--question", "How many legs do 3 spiders have?"],
    # Docking settings do not change the model calls; exhaustiveness 1 keeps the test short.
    "molecule": ["molecule", "optimize", "--smiles", "CC(=O)Oc1ccccc1C(=O)O", "--target",
                 "DRD2", "--steps", "2", "--exhaustiveness", "1"],
    "radiotherapy": ["radiotherapy", "tune", "--case", "prostate", "--steps", "2"],
    "code": ["code", "bench", "--dataset", "humaneval", "--limit", "5"],
}


def _stated_calls(command: list[str], capsys) -> int:
    with pytest.raises(SystemExit):
        main(command[:2] + ["--help"])
    text = " ".join(capsys.readouterr().out.split())
    found = re.search(r"at most (\d+) model calls", text)
    assert found, f"`{' '.join(command[:2])} --help` states no bound on model calls: {text}"
    return int(found.group(1))


def _responder(request) -> str:
    if "<VARIABLE>" in request.messages[-1][1] and "objectives" in request.messages[-1][1]:
        return planner(request)
    return "I am not sure."


@pytest.mark.parametrize("name", sorted(FIRST_RUNS))
def test_first_run_makes_no_more_calls_than_help_says(name, tmp_path, capsys, monkeypatch):
    command = FIRST_RUNS[name]
    stated = _stated_calls(command, capsys)
    engine = ScriptedEngine(_responder)
    monkeypatch.setitem(registry._factories, "local", lambda rest, **_: engine)
    monkeypatch.setenv("TEXTGRAD_SCI_CACHE", "off")
    code = main([*command, "--engine", "local", "--run-dir", str(tmp_path / "run"), "--quiet"])
    assert code == 0, capsys.readouterr().err
    assert 0 < len(engine.requests) <= stated, (name, len(engine.requests), stated)
