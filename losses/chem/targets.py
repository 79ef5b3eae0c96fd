"""DOCKSTRING's 58 protein targets: receptor PDBQT and search box from the ``dockstring`` wheel."""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path


class TargetError(ValueError):
    """An unknown target name or unreadable target files."""


@lru_cache(maxsize=1)
def targets_dir() -> Path:
    """The folder of ``<NAME>_target.pdbqt`` and ``<NAME>_conf.txt`` files in ``dockstring``."""
    spec = importlib.util.find_spec("dockstring")
    if spec is None or not spec.submodule_search_locations:
        raise TargetError("the 'dockstring' package is not installed (pip install dockstring)")
    return Path(spec.submodule_search_locations[0]) / "resources" / "targets"


def list_targets() -> list[str]:
    """Names of every available target, sorted (58 with DOCKSTRING 0.3)."""
    return sorted(p.name[: -len("_target.pdbqt")] for p in targets_dir().glob("*_target.pdbqt"))


@dataclass(frozen=True)
class Target:
    """A receptor and its docking box (centre and size in angstrom)."""

    name: str
    receptor: Path
    center: tuple[float, float, float]
    size: tuple[float, float, float]

    def dock(self, smiles: str, **settings):
        """Dock one SMILES against this target (see :func:`textgrad_sci.losses.chem.dock`)."""
        from .docking import dock

        return dock(smiles, self.name, **settings)


def parse_box(text: str) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Centre and size from a Vina config (``center_x = ...``, ``size_x = ...``)."""
    values = dict(re.findall(r"^\s*(center_[xyz]|size_[xyz])\s*=\s*([-+0-9.eE]+)", text, re.M))
    try:
        center = tuple(float(values[f"center_{a}"]) for a in "xyz")
        size = tuple(float(values[f"size_{a}"]) for a in "xyz")
    except KeyError as err:
        raise TargetError(f"box file lacks {err.args[0]}") from None
    return center, size  # type: ignore[return-value]


@cache
def load_target(name: str) -> Target:
    """``load_target("DRD2")``: the DOCKSTRING target of that name (case-insensitive)."""
    key = name.strip().upper()
    receptor = targets_dir() / f"{key}_target.pdbqt"
    conf = targets_dir() / f"{key}_conf.txt"
    if not receptor.exists() or not conf.exists():
        known = ", ".join(list_targets())
        raise TargetError(f"unknown docking target {name!r}; known targets: {known}")
    center, size = parse_box(conf.read_text())
    return Target(key, receptor, center, size)
