"""The prompt-optimization notebook runs offline from its cassette."""

from notebook_support import run_notebook


def test_prompt_notebook_executes_from_its_cassette(monkeypatch):
    text, images = run_notebook("prompt_optimization", monkeypatch, "RECORD_CASSETTE", 120)
    assert "ReplayEngine" in text
    assert "initial" in text and "majority vote:" in text
    assert images >= 1
