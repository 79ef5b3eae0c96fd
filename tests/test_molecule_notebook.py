"""The molecule-optimization notebook runs offline from its cassette."""

from notebook_support import run_notebook


def test_molecule_notebook_executes_from_its_cassette(monkeypatch):
    text, images = run_notebook("molecule_optimization", monkeypatch, "RECORD_CASSETTE", 120)
    assert "ReplayEngine" in text and "unclosed ring" in text
    assert "Drug-likeness (RDKit QED)" in text
    assert text.count("accepted=") == 3
    assert images >= 1
