"""Execute a notebook of notebooks/ offline from its cassette (nbclient, kernel python3)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def run_notebook(
    name: str, monkeypatch: pytest.MonkeyPatch, record_var: str, timeout: int = 300
) -> tuple[str, int]:
    """Run ``notebooks/<name>.ipynb`` in replay mode (``record_var`` unset); return the text of
    its outputs and the number of PNG images shown. A failing cell (e.g. a cassette miss) raises."""
    monkeypatch.delenv(record_var, raising=False)
    assert (NOTEBOOKS / f"{name}.cassette.jsonl").is_file()
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    text = "\n".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs)
    return text, sum("image/png" in o.get("data", {}) for o in outputs)
