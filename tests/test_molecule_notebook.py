"""The molecule-optimization notebook runs offline from its cassette."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def test_molecule_notebook_executes_from_its_cassette(monkeypatch):
    monkeypatch.delenv("RECORD_CASSETTE", raising=False)
    assert (NOTEBOOKS / "molecule_optimization.cassette.jsonl").is_file()
    nb = nbformat.read(NOTEBOOKS / "molecule_optimization.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()
    outputs = "".join(
        o.get("text", "") + o.get("data", {}).get("text/plain", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )
    assert "ReplayEngine" in outputs and "unclosed ring" in outputs
    assert "Drug-likeness (RDKit QED)" in outputs
    assert outputs.count("accepted=") == 3
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images
