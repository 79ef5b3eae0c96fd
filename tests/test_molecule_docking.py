"""Real AutoDock Vina docking: score range, reproducibility, timeout kill, cache, executors."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor

import pytest
from molecule_support import FAST, SMALL_LIGAND, TARGET, cache_dir, service
from textgrad_sci.losses.chem.docking import (
    DockingService,
    DockSettings,
    dock_isolated,
    stop_worker,
)
from textgrad_sci.losses.chem.targets import TargetError, list_targets, load_target


def test_targets_from_dockstring():
    names = list_targets()
    assert len(names) == 58 and "DRD2" in names
    t = load_target("drd2")
    assert t.receptor.exists() and t.name == "DRD2"
    assert t.center == (9.25, 6.167, -7.0) and t.size == (30.0, 30.0, 32.0)
    with pytest.raises(TargetError, match="unknown docking target 'NOPE'"):
        load_target("NOPE")


def test_seed_zero_refused():
    with pytest.raises(ValueError, match="seed 0"):
        DockSettings(seed=0)


def test_real_dock_sane_and_identical_on_repeat():
    svc = service()
    first = svc.dock(SMALL_LIGAND, TARGET)
    assert first.error is None, first.error
    assert -10.0 < first.score < -3.0
    assert first.protonated and not first.cached
    # Again without the cache, in the same worker process: the same seed gives the same score.
    again = svc.executor.submit(dock_isolated, SMALL_LIGAND, TARGET, FAST).result()
    assert again.score == first.score


def test_cache_hit_by_canonical_smiles_in_a_new_service():
    svc = service()
    first = svc.dock(SMALL_LIGAND, TARGET)
    other = DockingService(FAST, executor=svc.executor, cache=cache_dir() / "docking")
    hit = other.dock("O=C(N(CC)CC)c1ccccc1", TARGET)  # the same molecule, spelled otherwise
    assert hit.cached and hit.score == first.score
    assert (other.cache_hits, other.docked) == (1, 0)
    miss = other.dock(SMALL_LIGAND, TARGET, seed=99)  # other settings: not a hit
    assert not miss.cached and other.docked == 1


def test_timeout_kills_the_worker_process():
    slow = DockSettings(exhaustiveness=64, cpu=1, seed=7, timeout=1.0)
    started = time.perf_counter()
    result = dock_isolated("CC(C)Cc1ccc(C(C)C(=O)O)cc1", TARGET, slow)
    assert result.score is None and "timed out after 1 s" in result.error
    assert time.perf_counter() - started < 10
    import textgrad_sci.losses.chem.docking as docking

    assert getattr(docking._local, "child", None) is None  # the killed worker was dropped
    stop_worker()


def test_failures_become_text_through_the_default_process_pool():
    with DockingService(FAST, cache=False) as svc:
        assert isinstance(svc.executor, ProcessPoolExecutor)
        results = svc.dock_many([("CCO.CCO", TARGET), ("OB(O)c1ccccc1C", TARGET)])
    assert "ligand preparation failed" in results[0].error
    assert results[0].score is None and results[1].score is None
    assert results[1].error  # boron: meeko or Vina refuses it, as text


def test_dask_local_cluster_executor():
    from dask import distributed

    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        svc = DockingService(FAST, executor=client, cache=False)
        result = svc.dock(SMALL_LIGAND, TARGET)
        client.submit(stop_worker, pure=False).result()
    assert result.error is None, result.error
    assert result.score == service().dock(SMALL_LIGAND, TARGET).score


def test_executor_failure_is_a_result_not_an_exception(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1)
    pool.shutdown()
    result = DockingService(FAST, executor=pool, cache=tmp_path).dock(SMALL_LIGAND, TARGET)
    assert result.score is None and "executor failed" in result.error
    with pytest.raises(TypeError, match="Executor or a dask Client"):
        DockingService(FAST, executor=object())
