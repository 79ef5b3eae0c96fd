"""Shared helpers for the molecule tests: one docking service (one worker thread, so one docking
process computes DRD2's grid maps once) and its cache folder, shared by every test module."""

from __future__ import annotations

import atexit
import re
import shutil
import sys
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


# A chain of one-edit analogues of SMALL_LIGAND: the scripted "model" always proposes the next.
CHAIN = [SMALL_LIGAND, "CCN(CC)C(=O)c1ccc(C)cc1", "CCN(CC)C(=O)c1ccc(F)cc1",
         "CCN(CC)C(=O)c1ccc(Cl)cc1"]


def chain_answer(request) -> str:
    """The molecule after the current one in CHAIN (from the update prompt), as an answer."""
    prompt = next(content for role, content in request.messages if role == "user")
    current = re.search(r"<VARIABLE>(.*?)</VARIABLE>", prompt, re.S).group(1)
    position = CHAIN.index(current) if current in CHAIN else len(CHAIN) - 2
    return smiles_answer(CHAIN[min(position + 1, len(CHAIN) - 1)])


def cli(argv: list[str]) -> int:
    """``textgrad-sci`` with a ``chain:SECONDS`` engine: chain_answer after SECONDS per call."""
    from textgrad_sci.engines.registry import register_engine
    from textgrad_sci.engines.scripted import ScriptedEngine

    register_engine("chain", lambda rest, **_: ScriptedEngine(chain_answer, latency=float(rest)))
    from textgrad_sci.cli import main

    return main(argv)


if __name__ == "__main__":
    sys.exit(cli(sys.argv[1:]))
