"""The code-refinement notebook runs offline from its cassette."""

from notebook_support import run_notebook


def test_code_notebook_replays_from_its_cassette(monkeypatch):
    text, images = run_notebook("code_refinement", monkeypatch, "CODE_NOTEBOOK_RECORD")
    assert "ReplayEngine" in text
    assert "2 of 3 visible tests failed (2 wrong answer)." in text
    assert "actual: [0, 0]" in text
    assert "before  visible 1/3  hidden 2/3" in text
    assert "after   visible 3/3  hidden 3/3" in text and "solved visible: True" in text
    assert images == 1
