"""The equal-budget molecule bench: oracle accounting, bootstrap intervals, strategies on a
scripted engine, resume of a killed bench, a dask cluster losing a worker, and bad input."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time

import pytest
from molecule_support import SMALL_LIGAND
from textgrad_sci.domains.molecule.bench import BenchConfig, run_bench
from textgrad_sci.domains.molecule.bench_run import run_one
from textgrad_sci.domains.molecule.oracle import Oracle
from textgrad_sci.domains.molecule.population import PopulationSearch
from textgrad_sci.domains.molecule.validation import smiles_variable
from textgrad_sci.losses.chem.docking import DockResult, DockSettings
from textgrad_sci.losses.chem.objective_loss import ObjectiveLoss
from textgrad_sci.losses.chem.objectives import WORST, score_objective
from textgrad_sci.losses.chem.smiles import check_molecule

from textgrad_sci import Run, ScriptedEngine
from textgrad_sci.cli import main
from textgrad_sci.stats import bootstrap_ci


class FakeService:
    """Docks instantly: Vina = -(heavy atoms)/4, deterministic; counts docks, can fail on one."""

    def __init__(self, interrupt_at: int | None = None) -> None:
        self.docks, self.interrupt_at = [], interrupt_at

    def dock_many(self, pairs):
        out = []
        for smiles, target in pairs:
            if self.interrupt_at is not None and len(self.docks) == self.interrupt_at:
                raise KeyboardInterrupt
            self.docks.append(smiles)
            heavy = check_molecule(smiles).heavy_atoms
            out.append(DockResult(smiles, target, score=-heavy / 4))
        return out


def fake_oracle(budget: int, service: FakeService | None = None) -> Oracle:
    service = service or FakeService()
    return Oracle(lambda s: score_objective(s, "F2", service), budget, "F2")


def first_listed(request) -> str:
    """A scripted model: the first candidate edit the prompt lists."""
    prompt = next(content for role, content in request.messages if role == "user")
    return "<SMILES>" + re.search(r"1\. <SMILES>(.*?)</SMILES>", prompt).group(1) + "</SMILES>"


def test_oracle_charges_each_distinct_molecule_once_and_refuses_beyond_the_budget():
    service = FakeService()
    oracle = fake_oracle(2, service)
    first = oracle(SMALL_LIGAND).value
    assert oracle("O=C(c1ccccc1)N(CC)CC").value == first  # same molecule, other SMILES: free
    assert oracle("C1CC").value == WORST and oracle.calls == 1  # unparsable: never docked
    oracle("CC(=O)Nc1ccc(O)cc1")
    spent = oracle("CCO")
    assert oracle.calls == 2 and oracle.exhausted and oracle.refused == 1
    assert spent.value == WORST and "budget of 2 calls is spent" in spent.error
    assert len(service.docks) == 2 and oracle.curve() == sorted(oracle.curve(), reverse=True)
    with pytest.raises(ValueError, match="at least 1"):
        Oracle(lambda s: None, 0)


@pytest.mark.parametrize("strategy", ["textgrad", "random", "graph-ga", "population",
                                      "population-random"])
def test_no_strategy_exceeds_the_budget(strategy, tmp_path):
    service = FakeService()
    oracle = fake_oracle(6, service)
    engine = ScriptedEngine(first_listed)
    row = run_one(strategy, SMALL_LIGAND, 1000, oracle, engine, tmp_path / "run")
    assert row["calls"] == 6 == len(service.docks) == len(set(service.docks))
    assert row["best"] == min(v for _, v in oracle.trace) < WORST
    assert row["curve"][-1] == row["best"] and len(row["curve"]) == 6
    assert row["final"]["smiles"] in {s for s, _ in oracle.trace}
    if strategy in ("textgrad", "population"):
        assert engine.requests, "the model was asked"


def test_bootstrap_interval_on_known_data():
    assert bootstrap_ci([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    mean, low, high = bootstrap_ci(list(range(100)))
    # normal theory: 49.5 +- 1.96 * 29.01 / sqrt(100) = [43.8, 55.2]
    assert mean == 49.5 and low == pytest.approx(43.8, abs=0.7)
    assert high == pytest.approx(55.2, abs=0.7)
    assert bootstrap_ci([0.0, 1.0], seed=3) == bootstrap_ci([0.0, 1.0], seed=3)


def test_population_strategy_follows_the_model_on_pareto_parents():
    engine = ScriptedEngine(first_listed)
    oracle = fake_oracle(10)
    loss = ObjectiveLoss("F2", oracle, edits=4)
    variable = smiles_variable(SMALL_LIGAND, name="molecule")
    search = PopulationSearch(variable, loss, engine=engine, pool_size=3,
                              sampling={"temperature": 0.0})
    for step in range(4):
        search.set_seed(step)
        report = search.step()[0]
        prompt = engine.requests[-1].messages[-1][1]
        assert "QED terms costing the most" in prompt and "Candidate edits" in prompt
        assert report.new_value == re.search(r"1\. <SMILES>(.*?)</SMILES>", prompt).group(1)
        assert report.score_after == oracle(report.new_value).value
    assert len(search.pool) == 3 and oracle.calls == 5
    assert variable.value == min(search.pool, key=lambda p: p["value"])["smiles"]
    assert search.state_dict()["pool"] == search.pool


def _config(tmp_path, **kw) -> BenchConfig:
    base = {"objective": "F2", "strategies": "random,population-random", "budget": 3,
            "starts": 1, "seeds": 2, "exhaustiveness": 1, "cache_dir": str(tmp_path / "c")}
    return BenchConfig(**{**base, **kw})


def test_a_killed_bench_resumes_without_redoing_finished_runs(tmp_path):
    from textgrad_sci.loop import RunStopped

    config = _config(tmp_path)
    with pytest.raises(RunStopped, match="interrupted") as stopped:
        run_bench(config, Run(tmp_path / "b", {}), None, FakeService(interrupt_at=5),
                  progress=False)
    assert str(stopped.value).endswith(f"--resume {tmp_path / 'b'})")  # the bench, not a run
    run = Run(tmp_path / "b")
    assert run.meta["resumed"] == 1
    assert [s["item"] for s in run.steps()] == ["random/start0/seed0"]
    service = FakeService()
    results = run_bench(config, run, None, service, progress=False)
    assert [s["item"] for s in run.steps()] == ["random/start0/seed0", "random/start0/seed1",
                                                "population-random/start0/seed0",
                                                "population-random/start0/seed1"]
    assert [s["runs"] for s in results["strategies"]] == [2, 2]
    assert all(s["evaluations"] <= 3 for s in results["strategies"])
    saved = json.loads((tmp_path / "b" / "results.json").read_text())
    assert set(saved) >= {"objective", "budget", "strategies"}
    assert set(saved["strategies"][0]) >= {"strategy", "mean", "ci_low", "ci_high", "runs",
                                           "evaluations"}
    assert (tmp_path / "b" / "plots" / "best_so_far.png").stat().st_size > 0
    assert (tmp_path / "b" / "plots" / "qed_vs_vina.png").stat().st_size > 0


def test_dask_cluster_losing_a_worker_loses_no_result(tmp_path):
    from dask.distributed import Client, LocalCluster
    from textgrad_sci.losses.chem.docking import DockingService

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        service = DockingService(DockSettings(exhaustiveness=1, cpu=1, seed=4242, timeout=120),
                                 executor=client, cache=False)

        def kill_one() -> None:
            while service.docked < 2:
                time.sleep(0.05)
            os.kill(pids[0], signal.SIGKILL)

        killer = threading.Thread(target=kill_one, daemon=True)
        killer.start()
        config = _config(tmp_path, strategies="random", seeds=1,
                         scheduler=cluster.scheduler_address)
        results = run_bench(config, Run(tmp_path / "d", {}), None, service, progress=False)
        killer.join(5)
        assert not killer.is_alive()
    row = Run(tmp_path / "d").steps()[0]
    assert row["calls"] == 3 and row["best"] < WORST
    assert all(c["after"] is None or c["after"] < WORST for c in row["choices"])
    assert results["strategies"][0]["evaluations"] == 3


@pytest.mark.parametrize("argv, message", [
    (["--smiles", "C1CC"], "invalid starting molecule 'C1CC'"),
    (["--objective", "F3"], "unknown objective 'F3'"),
    (["--budget", "0"], "--budget must be at least 1"),
    (["--strategies", "random,hill"], "unknown strategy hill"),
    (["--scheduler", "tcp://127.0.0.1:9"], "cannot reach the dask scheduler at tcp://127"),
])
def test_bad_bench_input_is_one_line_and_exit_2(argv, message, tmp_path, capsys):
    code = main(["molecule", "bench", "--strategies", "random", "--run-dir",
                 str(tmp_path / "r"), "--quiet", *argv])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1, err
    assert "Traceback" not in err


def test_score_objective_command_json_and_bad_molecules(capsys):
    assert main(["molecule", "score", "--objective", "F2", "--smiles", "C1CC", "--json"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["objective"] == WORST and "cannot parse" in line["error"]
    assert line["smiles"] == "C1CC" and line["vina"] == {} and line["qed"] is None
    assert main(["molecule", "score", "--objective", "F9", "--smiles", "C"]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown objective 'F9'" in err and len(err.splitlines()) == 1
