"""The code-refinement notebook runs offline from its cassette (nbclient, kernel python3)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def test_code_notebook_replays_from_its_cassette(monkeypatch):
    monkeypatch.delenv("CODE_NOTEBOOK_RECORD", raising=False)
    assert (NOTEBOOKS / "code_refinement.cassette.jsonl").is_file()
    nb = nbformat.read(NOTEBOOKS / "code_refinement.ipynb", as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()  # raises CellExecutionError on any failing cell (e.g. a cassette miss)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    text = "\n".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "ReplayEngine" in text
    assert "2 of 3 visible tests failed (2 wrong answer)." in text
    assert "actual: [0, 0]" in text
    assert "before  visible 1/3  hidden 2/3" in text
    assert "after   visible 3/3  hidden 3/3" in text and "solved visible: True" in text
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 1
