"""Shared helpers for the molecule tests: one docking service (one worker thread, so one docking
process computes DRD2's grid maps once) and its cache folder, shared by every test module."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from textgrad_sci.losses.chem.docking import DockingService, DockSettings

TARGET = "DRD2"
ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
IBUPROFEN = "CC(C)Cc1ccc(C(C)C(=O)O)cc1"
SMALL_LIGAND = "CCN(CC)C(=O)c1ccccc1"  # N,N-diethylbenzamide: 13 heavy atoms, docks fast
FAST = DockSettings(exhaustiveness=1, cpu=2, seed=4242, timeout=120)


@cache
def cache_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="tgsci-molecule-tests-"))
    atexit.register(shutil.rmtree, path, True)
    return path


@cache
def service() -> DockingService:
    """A service whose single worker thread keeps one docking process (and its maps)."""
    # Its docking process ends by itself when this process exits (its stdin closes).
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="molecule-tests")
    return DockingService(FAST, executor=pool, cache=cache_dir() / "docking")


def smiles_answer(smiles: str) -> str:
    """What a model answers in the SMILES tag format."""
    return f"<SMILES>{smiles}</SMILES>"
