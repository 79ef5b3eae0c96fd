"""AutoDock Vina docking as a service: one worker process per dock (killed on timeout), seeded,
cached on disk, run through any ``concurrent.futures.Executor`` (local processes or dask)."""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from textgrad_sci.cache import JsonCache, tool_cache

from .ligand import PREPARATION
from .smiles import SmilesError, canonical_smiles
from .targets import load_target

DEFAULT_SEED = 974528263  # DOCKSTRING's seed; Vina's seed 0 means "random", so never 0
RESULT = "score+pose-contacts/1"
"""Names what a dock records; part of the cache key, so results cached before it are redone."""


@dataclass(frozen=True)
class DockSettings:
    """Everything that changes a docking score (part of the cache key), plus the timeout."""

    exhaustiveness: int = 8
    cpu: int = field(default_factory=lambda: os.cpu_count() or 1)
    seed: int = DEFAULT_SEED
    ph: float = 7.4
    n_poses: int = 1
    timeout: float = 600.0

    def __post_init__(self) -> None:
        if self.seed == 0:
            raise ValueError("seed 0 makes Vina pick a random seed; use a nonzero seed")
        if self.exhaustiveness < 1 or self.cpu < 1 or self.n_poses < 1:
            raise ValueError("exhaustiveness, cpu and n_poses must be at least 1")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")

    def key(self) -> dict:
        """The settings that determine the result: not the timeout, and not ``cpu`` (with a
        fixed seed Vina gives the same poses for any thread count)."""
        d = asdict(self)
        d.pop("timeout")
        d.pop("cpu")
        d["preparation"] = PREPARATION
        d["result"] = RESULT
        return d


@dataclass
class DockResult:
    """The best Vina score (kcal/mol, lower binds better) or the reason there is none."""

    smiles: str
    target: str
    score: float | None = None
    error: str | None = None
    protonated: str | None = None
    seconds: float = 0.0
    settings: dict = field(default_factory=dict)
    cached: bool = False
    contacts: list[int] | None = None
    """Receptor heavy atoms within 4 angstrom of each heavy atom of ``smiles`` in the best pose
    (:func:`pose.atom_contacts`); None when the pose could not be read."""

    @property
    def ok(self) -> bool:
        return self.score is not None

    def to_dict(self) -> dict:
        return asdict(self)


_vina_cache: dict[tuple[str, int, int], Any] = {}


def _vina_for(target: str, settings: DockSettings):
    """A Vina object with the target's maps, computed once per process and kept."""
    from vina import Vina

    key = (target, settings.cpu, settings.seed)
    v = _vina_cache.get(key)
    if v is None:
        tgt = load_target(target)
        v = Vina(sf_name="vina", cpu=settings.cpu, seed=settings.seed, verbosity=0)
        v.set_receptor(str(tgt.receptor))
        v.compute_vina_maps(center=list(tgt.center), box_size=list(tgt.size))
        _vina_cache.clear()  # one target's maps at a time bounds memory (about 70 MB each)
        _vina_cache[key] = v
    return v


def dock_here(smiles: str, target: str, settings: DockSettings) -> DockResult:
    """Dock in the calling process (no timeout possible: Vina ignores signals)."""
    from .ligand import LigandError, prepare_ligand

    started = time.perf_counter()
    result = DockResult(smiles, target, settings=settings.key())
    try:
        result.protonated, pdbqt = prepare_ligand(smiles, settings.seed, settings.ph)
        v = _vina_for(target, settings)
        v.set_ligand_from_string(pdbqt)
        v.dock(exhaustiveness=settings.exhaustiveness, n_poses=settings.n_poses)
        result.score = float(v.energies(n_poses=1)[0][0])
        result.contacts = _contacts(v.poses(n_poses=1), target, smiles)
    except LigandError as err:
        result.error = f"ligand preparation failed: {err}"
    except Exception as err:  # Vina raises RuntimeError/TypeError with its own text
        result.error = f"Vina failed: {type(err).__name__}: {' '.join(str(err).split())}"
    result.seconds = time.perf_counter() - started
    return result


def _contacts(pose: str, target: str, smiles: str) -> list[int] | None:
    """The pose's contacts per atom, or None: feedback only, never a reason to fail a dock."""
    from .pose import atom_contacts

    try:
        return atom_contacts(pose, str(load_target(target).receptor), smiles)
    except Exception:  # meeko cannot rebuild every pose; the score stands without it
        return None


def _tail(path: str, n: int = 400) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = " ".join(f.read()[-4000:].split())
    except OSError:
        return ""
    return text if len(text) <= n else "..." + text[-n:]


# The worker loads this folder as a stand-alone package: it needs none of textgrad_sci, and
# importing textgrad_sci from an editable install may first rebuild the native extension.
_WORKER_BOOT = (
    "import importlib.util as u, sys; d = sys.argv[1]; "
    "s = u.spec_from_file_location('_tgsci_chem', d + '/__init__.py', "
    "submodule_search_locations=[d]); m = u.module_from_spec(s); "
    "sys.modules['_tgsci_chem'] = m; s.loader.exec_module(m); "
    "from _tgsci_chem.worker import main; sys.exit(main())"
)


class _Child:
    """One persistent docking worker process (see ``worker.py``)."""

    def __init__(self) -> None:
        self.stderr = tempfile.NamedTemporaryFile(prefix="tgsci-dock-", suffix=".log", delete=False)
        folder = os.path.dirname(os.path.abspath(__file__))
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER_BOOT, folder],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
            text=True, bufsize=1,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def run(self, job: str, timeout: float) -> tuple[str | None, str]:
        """Send a job; return (the result line, "") or (None, why there is none)."""
        try:
            self.proc.stdin.write(job + "\n")  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
        except OSError:
            pass
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.kill()
            return None, f"docking timed out after {timeout:g} s and was stopped"
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            code = self.proc.wait()
            why = _tail(self.stderr.name)
            self.kill()
            return None, f"the docking worker died (exit code {code}): {why}"
        return line, ""

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        self.stderr.close()
        with contextlib.suppress(OSError):
            os.unlink(self.stderr.name)


_local = threading.local()


def dock_isolated(smiles: str, target: str, settings: DockSettings) -> DockResult:
    """Dock in a worker process owned by the calling thread, killed after ``settings.timeout``
    seconds (and restarted for the next job). Never raises for a docking problem: a timeout, a
    crash or an error is in ``result.error``."""
    started = time.perf_counter()
    child = getattr(_local, "child", None)
    if child is None or not child.alive():
        child = _local.child = _Child()
    job = json.dumps({"smiles": smiles, "target": target, "settings": asdict(settings)})
    line, error = child.run(job, settings.timeout)
    if line is None:
        _local.child = None
        result = DockResult(smiles, target, error=error, settings=settings.key())
    else:
        result = DockResult(**json.loads(line))
    result.seconds = time.perf_counter() - started
    return result


def stop_worker() -> None:
    """Stop the calling thread's docking worker process, if any."""
    child = getattr(_local, "child", None)
    if child is not None:
        child.kill()
        _local.child = None


def _resolve_executor(executor: Any) -> Executor:
    """A dask ``Client`` becomes its executor; any ``concurrent.futures.Executor`` is used as is."""
    if hasattr(executor, "get_executor") and not isinstance(executor, Executor):
        return executor.get_executor()
    if not isinstance(executor, Executor):
        raise TypeError(f"expected a concurrent.futures Executor or a dask Client: {executor!r}")
    return executor


class DockingService:
    """Dock many (SMILES, target) pairs: cached, each dock in its own killable process.

    executor: a ``concurrent.futures.Executor`` or a ``dask.distributed.Client``; default a local
        process pool of ``max_workers`` (default 1, each dock using ``settings.cpu`` threads);
        each pool worker supervises one docking process that keeps the target's grid maps.
    cache: a :class:`JsonCache`, a directory, or None for the default cache folder (none when
        ``TEXTGRAD_SCI_CACHE=off``); False: none.
    """

    def __init__(
        self,
        settings: DockSettings | None = None,
        executor: Any = None,
        max_workers: int | None = None,
        cache: JsonCache | str | os.PathLike | bool | None = None,
    ) -> None:
        self.settings = settings or DockSettings()
        self._own_executor = executor is None
        self.executor = (
            ProcessPoolExecutor(max_workers or 1)
            if executor is None
            else _resolve_executor(executor)
        )
        if cache is False:
            self.cache: JsonCache | None = None
        elif isinstance(cache, JsonCache):
            self.cache = cache
        else:
            self.cache = tool_cache("docking", cache or None)
        self.docked = 0
        self.cache_hits = 0

    def _key(self, smiles: str, target: str, settings: DockSettings) -> dict:
        return {"smiles": smiles, "target": target.upper(), **settings.key()}

    def submit(self, smiles: str, target: str, **overrides: Any) -> Future:
        """Start one dock (or answer from the cache); the future's result is a DockResult."""
        settings = replace(self.settings, **overrides) if overrides else self.settings
        target = load_target(target).name
        try:
            smiles = canonical_smiles(smiles)  # the cache's identity of a molecule
        except SmilesError:
            pass  # docking reports what is wrong with it
        key = self._key(smiles, target, settings)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self.cache_hits += 1
                future: Future = Future()
                future.set_result(DockResult(**{**hit, "cached": True}))
                return future
        self.docked += 1
        future = self.executor.submit(dock_isolated, smiles, target, settings)
        if self.cache is not None:
            future.add_done_callback(lambda f: self._store(key, f))
        return future

    def _store(self, key: dict, future: Future) -> None:
        if future.exception() is None:
            result = future.result()
            if result.ok:  # failures (timeouts...) are not cached: a retry may succeed
                self.cache.put(key, result.to_dict())  # type: ignore[union-attr]

    def dock(self, smiles: str, target: str, **overrides: Any) -> DockResult:
        """Dock one pair; an executor failure (a broken pool...) comes back as ``error``."""
        try:
            future = self.submit(smiles, target, **overrides)
        except RuntimeError as err:  # e.g. "cannot schedule new futures after shutdown"
            return DockResult(smiles, target, error=f"the executor failed: {err}")
        return _result_or_error(future, smiles, target)

    def dock_many(self, pairs: list[tuple[str, str]], **overrides: Any) -> list[DockResult]:
        """Dock every (SMILES, target) pair concurrently; results in input order."""
        futures = [self.submit(s, t, **overrides) for s, t in pairs]
        return [_result_or_error(f, s, t) for f, (s, t) in zip(futures, pairs, strict=True)]

    def close(self) -> None:
        if self._own_executor:
            self.executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> DockingService:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _result_or_error(future: Future, smiles: str, target: str) -> DockResult:
    try:
        return future.result()
    except Exception as err:  # an executor failure (a lost dask worker...) becomes a result
        return DockResult(smiles, target, error=f"the executor failed: {type(err).__name__}: {err}")


def dock(smiles: str, target: str, **settings: Any) -> DockResult:
    """Dock one molecule in a fresh worker process (no pool, no cache): the simple call."""
    return dock_isolated(smiles, load_target(target).name, DockSettings(**settings))
