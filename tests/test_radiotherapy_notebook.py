"""The radiotherapy notebook runs offline from its cassette."""

from notebook_support import run_notebook


def test_radiotherapy_notebook_replays_from_its_cassette(monkeypatch):
    text, images = run_notebook("radiotherapy_tuning", monkeypatch, "RT_NOTEBOOK_RECORD")
    assert "ReplayEngine" in text
    assert "clinical goals met" in text and "'goals_met_final'" in text
    assert images == 3
