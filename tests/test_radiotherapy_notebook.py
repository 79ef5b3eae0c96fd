"""The radiotherapy notebook runs offline from its cassette (nbclient, kernel python3)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def test_radiotherapy_notebook_replays_from_its_cassette(monkeypatch):
    monkeypatch.delenv("RT_NOTEBOOK_RECORD", raising=False)
    path = NOTEBOOKS / "radiotherapy_tuning.ipynb"
    assert (NOTEBOOKS / "radiotherapy_tuning.cassette.jsonl").is_file()
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError on any failing cell (e.g. a cassette miss)
    text = "\n".join(
        o.get("text", "") or o.get("data", {}).get("text/plain", "")
        for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "ReplayEngine" in text
    assert "clinical goals met" in text and "'goals_met_final'" in text
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert len(images) == 3
