"""Reading batches of (molecule, target) tasks from CSV or SMILES files."""

from __future__ import annotations

import csv
from pathlib import Path

from textgrad_sci.losses.chem.targets import load_target

from .workflow import Task


def read_tasks(path: str | Path, default_target: str | None = None) -> list[Task]:
    """Tasks from a CSV with a ``smiles`` column (optional ``target`` and ``name``) or from a
    SMILES file (one ``SMILES [TARGET]`` per line, ``#`` comments). Raises ValueError clearly."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"batch file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    rows: list[tuple[str, str | None, str | None]] = []
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    if "smiles" in first.lower() and ("," in first or path.suffix.lower() == ".csv"):
        reader = csv.DictReader(text.splitlines())
        fields = {f.lower().strip(): f for f in reader.fieldnames or []}
        for row in reader:
            smiles = (row.get(fields["smiles"]) or "").strip()
            if smiles:
                target = row.get(fields["target"], "") if "target" in fields else ""
                name = row.get(fields["name"], "") if "name" in fields else ""
                rows.append((smiles, target.strip() or None, name.strip() or None))
    else:
        for line in text.splitlines():
            parts = line.split("#", 1)[0].split()
            if parts:
                rows.append((parts[0], parts[1] if len(parts) > 1 else None, None))
    if not rows:
        raise ValueError(f"batch file {path} holds no molecules")
    tasks = []
    for i, (smiles, target, name) in enumerate(rows):
        target = target or default_target
        if target is None:
            raise ValueError(f"{path}: molecule {smiles} has no target and no --target was given")
        tasks.append(Task(name or f"mol{i}", smiles, load_target(target).name))
    return tasks
