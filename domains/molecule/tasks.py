"""Tasks and settings of a molecule run: (molecule, target) tasks, read from the options or from
CSV/SMILES batch files, and the frozen settings (docking included) the CLI options come from."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from textgrad_sci.losses.chem.targets import load_target

from textgrad_sci.options import setting


@dataclass(frozen=True)
class MoleculeTask:
    """One molecule to optimize against one target; ``name`` identifies it in the run."""

    name: str
    smiles: str
    target: str


def read_tasks(path: str | Path, default_target: str | None = None) -> list[MoleculeTask]:
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
        tasks.append(MoleculeTask(name or f"mol{i}", smiles, load_target(target).name))
    return tasks


@dataclass(frozen=True)
class DockingConfig:
    """How molecules are docked (``molecule score`` and ``molecule optimize``)."""

    exhaustiveness: int = setting(8, "Vina exhaustiveness")
    cpu: int | None = setting(None, "Vina threads per dock (default: the cores shared among "
                              "the workers)")
    seed: int = setting(974528263, "nonzero seed for embedding and Vina")
    timeout: float = setting(600.0, "seconds before a dock is killed")
    workers: int = setting(1, "parallel docking processes")
    scheduler: str | None = setting(None, "dask.distributed scheduler address for docking")
    cache_dir: str | None = setting(None, "docking cache folder (default: <cache dir>/docking, "
                                    "see TEXTGRAD_SCI_CACHE)")

    def __post_init__(self) -> None:
        self.dock_settings()  # refuses seed 0 and sizes below 1 (ValueError)
        if self.workers < 1:
            raise ValueError("workers must be at least 1")

    def dock_settings(self):
        from textgrad_sci.losses.chem.docking import DockSettings

        cpu = self.cpu
        if cpu is None and not self.scheduler:  # share the cores among the workers
            cpu = max(1, (os.cpu_count() or 1) // self.workers)
        extra = {} if cpu is None else {"cpu": cpu}
        return DockSettings(exhaustiveness=self.exhaustiveness, seed=self.seed,
                            timeout=self.timeout, **extra)

    def service(self):
        """The docking service these settings describe (a context manager)."""
        from textgrad_sci.losses.chem.docking import DockingService

        executor = None
        if self.scheduler:
            from dask.distributed import Client

            executor = Client(self.scheduler)
        return DockingService(self.dock_settings(), executor=executor, max_workers=self.workers,
                              cache=Path(self.cache_dir) if self.cache_dir else None)


@dataclass(frozen=True)
class MoleculeConfig(DockingConfig):
    """The settings of ``molecule optimize``. ``tasks`` is filled from ``batch`` or ``smiles``
    and ``target`` (and saved, so a resumed run needs neither); every start is checked."""

    smiles: tuple[str, ...] = setting((), "starting SMILES (repeatable)")
    batch: str | None = setting(None, "CSV (smiles[,target][,name]) or SMILES file of tasks")
    target: str | None = setting(None, "DOCKSTRING target, e.g. DRD2 (see 'molecule targets')")
    steps: int = setting(10, "iterations")
    strategy: str = setting("textgrad", "textgrad: the model rewrites the molecule from the "
                            "feedback; random: a random one-edit analogue, kept if not worse",
                            choices=("textgrad", "random"))
    gate: bool = setting(False, "keep a step only if the score improves")
    feedback: str = setting("tool", "tool: tool text + rules as feedback; llm: the model "
                            "critiques", choices=("tool", "llm"))
    proposals: str | None = setting(
        None, "free: any SMILES (grammar: SMILES alphabet); analogues: the model picks one of "
        "the RDKit one-edit analogues listed in its feedback (default: analogues for the local "
        "model, else free)", choices=("free", "analogues"))
    temperature: float = setting(0.7, "sampling temperature of the updates")
    max_tokens: int = setting(128, "token limit of an update")
    references: bool = setting(True, "skip reference drugs")
    gradient_memory: int = setting(2, cli=False)
    max_retries: int = setting(2, cli=False)
    analogues: int = setting(4, cli=False)
    sampling_seed: int = setting(1234, cli=False)
    tasks: tuple[MoleculeTask, ...] = setting((), cli=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.proposals not in (None, "free", "analogues"):
            raise ValueError("proposals must be 'free' (any SMILES) or 'analogues'")
        if self.feedback not in ("tool", "llm") or self.strategy not in ("textgrad", "random"):
            raise ValueError("feedback must be 'tool' or 'llm', strategy 'textgrad' or 'random'")
        tasks = [MoleculeTask(**t) if isinstance(t, dict) else t for t in self.tasks]
        object.__setattr__(self, "tasks", tuple(tasks or self._read_tasks()))
        names = [t.name for t in self.tasks]
        if len(set(names)) != len(names):
            raise ValueError(f"task names must be unique: {names}")
        from .validation import smiles_validator

        for task in self.tasks:
            reason = smiles_validator()(task.smiles)
            if reason is not None:
                raise ValueError(f"invalid starting molecule {task.smiles!r}: {reason}")

    def _read_tasks(self) -> list[MoleculeTask]:
        if self.batch:
            return read_tasks(self.batch, self.target)
        if not self.smiles:
            raise ValueError("give --smiles SMILES (repeatable) or --batch FILE")
        if not self.target:
            raise ValueError("give --target NAME (e.g. DRD2); 'molecule targets' lists them")
        target = load_target(self.target).name
        return [MoleculeTask(f"mol{i}", s, target) for i, s in enumerate(self.smiles)]
