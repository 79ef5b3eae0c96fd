"""The equal-budget radiotherapy bench: FMO budget accounting (Nelder-Mead, sensitivity),
resume of a killed bench, results.json, and bad input as one line through the CLI."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import scipy.io
from radiotherapy_support import planner
from textgrad_sci.domains.radiotherapy import initial_plan, load_case, load_goals, make_loss
from textgrad_sci.domains.radiotherapy.bench import BenchConfig, best_so_far, run_bench
from textgrad_sci.domains.radiotherapy.plan import dump_plan
from textgrad_sci.losses.dose import optimize_fluence
from textgrad_sci.losses.plan_goals import SPENT_SCORE, BudgetSpent, evaluate_goals

from textgrad_sci import Run, ScriptedEngine
from textgrad_sci.cli import main
from textgrad_sci.engines.base import EngineError
from textgrad_sci.loop import RunStopped
from textgrad_sci.stats import bootstrap_ci

SMALL = dict(case="tg119", resolution=12.0, fmo_iterations=60, temperature=0.0, max_tokens=300)


@pytest.fixture(scope="module")
def hard(tmp_path_factory):
    """SMALL with a core goal no plan meets here, so that runs spend their whole budget."""
    path = tmp_path_factory.mktemp("goals") / "hard.json"
    path.write_text(json.dumps([{"structure": "PTV", "metric": "D95", "op": ">=", "value": 50},
                                {"structure": "CORE", "metric": "D10", "op": "<=", "value": 5}]))
    return {**SMALL, "goals": str(path)}


@pytest.fixture(scope="module")
def case():
    return load_case("tg119", 12.0)


def _loss(case, **kwargs):
    return make_loss(case, load_goals("tg119", case.prescription_gy), fmo_iterations=60,
                     **kwargs)


def _weights(plan: str, factor: float) -> str:
    doc = json.loads(plan)["objectives"]
    return dump_plan([{**o, "weight": o["weight"] * factor} for o in doc])


def test_loss_refuses_fmos_past_its_limit(case):
    loss = _loss(case, fmo_limit=2)
    plan = initial_plan(case)
    first = loss.score(plan)
    assert loss.score(_weights(plan, 2.0)) < SPENT_SCORE
    assert loss.fmo_runs == 2
    with pytest.raises(BudgetSpent, match="budget of 2 fluence optimizations is spent"):
        loss.evaluate(_weights(plan, 3.0))
    assert loss.score(_weights(plan, 3.0)) == SPENT_SCORE  # no FMO ran for it
    assert loss.score(plan) == first  # a measured plan is still known
    assert loss.fmo_runs == 2 and [t["fmo"] for t in loss.trajectory] == [1, 2]


def test_sensitivity_reports_weight_changes_and_counts_their_fmos(case):
    loss = _loss(case, sensitivity=True, sensitivity_max=2)
    plan = initial_plan(case)
    m = loss.report(plan)
    assert loss.fmo_runs == 1 + 2 * 2 and loss.evaluations == 1
    lines = m.text.splitlines()
    start = lines.index("Measured effect of changing one weight (fluence re-optimized for each):")
    probes = lines[start + 1:]
    # The target's objectives come first (PTV D95 is missed); doubled, then halved.
    assert probes[0].startswith("- PTV squared_underdose weight 10 -> 20: ")
    assert probes[1].startswith("- PTV squared_underdose weight 10 -> 5: ")
    assert len(probes) == 4 and all("goals met" in p for p in probes)
    # The first probe is the FMO of the doubled weight, warm-started from the plan's fluence.
    evaluation = m.detail
    changed = list(evaluation.objectives)
    changed[0] = dataclasses.replace(changed[0], weight=20.0)
    fmo = optimize_fluence(loss.influence, case, changed, max_iter=60, x0=evaluation.fluence)
    expected = evaluate_goals(fmo.dose.reshape(case.shape), case.structures, loss.goals)
    assert m.numbers["sensitivity"][0]["metrics"] == {r.goal.label: round(r.actual, 4)
                                                      for r in expected}
    assert loss.report(plan).text == m.text and loss.fmo_runs == 5  # cached, no new FMO
    limited = _loss(case, sensitivity=True, fmo_limit=4)
    text = limited.report(plan).text
    assert limited.fmo_runs == 4
    assert "(the budget allowed 3 of 6 weight changes)" in text


def test_nelder_mead_spends_exactly_the_budget_and_never_more(tmp_path, hard):
    config = BenchConfig(**hard, strategies="nelder-mead,random", budget=6, seeds=2)
    results = run_bench(Run(tmp_path / "b", {}), config, progress=False)
    runs = results["runs"]
    assert [r["fmo_runs"] for r in runs] == [6, 6, 6, 6]
    nm = [json.loads(line) for line in (tmp_path / "b/runs/nelder-mead-seed0/steps.jsonl").open()]
    assert [s["fmo_runs"] for s in nm][-1] == 6
    assert all(a <= b <= 6 for a, b in zip([s["fmo_runs"] for s in nm],
                                            [s["fmo_runs"] for s in nm][1:], strict=False))
    # Seeds give different first simplices, so the two runs try different plans.
    plans = {r["seed"]: r["best_plan"] for r in runs if r["strategy"] == "nelder-mead"}
    first = [json.loads(line) for line in (tmp_path / "b/runs/nelder-mead-seed1/steps.jsonl")
             .open()]
    assert nm[0]["updates"][0]["new_value"] != first[0]["updates"][0]["new_value"] or \
        plans[0] != plans[1]


def test_textgrad_with_sensitivity_stays_within_budget(tmp_path, hard):
    engine = ScriptedEngine(planner)
    config = BenchConfig(**hard, strategies="textgrad", budget=7, seeds=1, sensitivity_max=1)
    results = run_bench(Run(tmp_path / "b", {}), config, engine=engine, progress=False)
    (row,) = results["runs"]
    assert row["fmo_runs"] == 7
    steps = [json.loads(line) for line in (tmp_path / "b/runs/textgrad-seed0/steps.jsonl").open()]
    # Step 0: plan (1) + its sensitivity (2) + the proposal (1); step 1: sensitivity of the new
    # plan (2) + the proposal (1) = 7; then the budget stops the run.
    assert [s["fmo_runs"] for s in steps] == [4, 7]
    assert "Measured effect of changing one weight" in engine.requests[0].messages[-1][1]
    assert len(engine.requests) == 2


def test_a_run_stops_once_every_goal_is_met(tmp_path):
    # The scripted planner's second plan meets all three TG-119 goals: nothing left to gain.
    config = BenchConfig(**SMALL, strategies="textgrad", budget=7, seeds=1, sensitivity_max=1)
    results = run_bench(Run(tmp_path / "b", {}), config, engine=ScriptedEngine(planner),
                        progress=False)
    (row,) = results["runs"]
    assert row["score"] == 0 and row["goals_met"] == 3 and row["fmo_runs"] == 4


def test_a_run_repeating_its_plan_stops_after_three_idle_steps(tmp_path, hard):
    same = ScriptedEngine(lambda request: initial_plan(load_case("tg119", 12.0)))
    config = BenchConfig(**hard, strategies="textgrad", budget=12, seeds=1, sensitivity=False)
    (row,) = run_bench(Run(tmp_path / "b", {}), config, engine=same, progress=False)["runs"]
    assert row["fmo_runs"] == 1 and row["steps"] == 4 and len(same.requests) == 4


def test_results_shape_and_bootstrap(tmp_path, hard):
    config = BenchConfig(**hard, strategies="random,nelder-mead", budget=3, seeds=3)
    results = run_bench(Run(tmp_path / "b", {}), config, progress=False)
    saved = json.loads((tmp_path / "b/results.json").read_text())
    assert saved["case"] == "tg119_cshape" and saved["budget"] == 3
    assert [s["strategy"] for s in saved["strategies"]] == ["random", "nelder-mead"]
    for s in saved["strategies"]:
        assert {"strategy", "mean", "ci_low", "ci_high", "runs", "evaluations",
                "goals_met_mean"} <= set(s)
        assert s["ci_low"] <= s["mean"] <= s["ci_high"] and s["runs"] == 3
        assert s["evaluations"] == 3 and s["evaluations_mean"] == 3.0
    for name in ("score_vs_budget.png", "best_dvhs.png"):
        assert (tmp_path / "b/plots" / name).read_bytes()[:4] == b"\x89PNG"
    assert "random" in results["table"]
    mean, low, high = bootstrap_ci([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5 and 1.0 <= low < 2.5 < high <= 4.0
    assert bootstrap_ci([2.0]) == (2.0, 2.0, 2.0)
    assert best_so_far([{"fmo": 1, "score": 3.0}, {"fmo": 3, "score": 1.0}], 4) == \
        [3.0, 3.0, 1.0, 1.0]


class CrashingPlanner:
    def __init__(self, crash_at: int):
        self.calls, self.crash_at = 0, crash_at

    def __call__(self, request) -> str:
        self.calls += 1
        if self.calls == self.crash_at:
            raise EngineError("connection lost")
        return planner(request)


def test_killed_bench_resumes_and_skips_finished_runs(tmp_path, hard):
    config = BenchConfig(**hard, strategies="textgrad,random", budget=4, seeds=2,
                         sensitivity=False)
    # Items run seed by seed: textgrad/0, random/0, textgrad/1, random/1. A full bench first,
    # to count the engine calls of each textgrad run (the scripted planner is deterministic).
    full = ScriptedEngine(planner)
    run_bench(Run(tmp_path / "full", {}), config, engine=full, progress=False)
    calls = [len(full.requests)]
    first = ScriptedEngine(planner)
    run_bench(Run(tmp_path / "one", {}), dataclasses.replace(config, seeds=1), engine=first,
              progress=False)
    calls.append(len(first.requests))
    # Killed at the first engine call of textgrad/seed1.
    with pytest.raises(RunStopped, match="connection lost"):
        run_bench(Run(tmp_path / "b", {}), config,
                  engine=ScriptedEngine(CrashingPlanner(calls[1] + 1)), progress=False)
    done = [json.loads(line)["item"] for line in (tmp_path / "b/steps.jsonl").open()]
    assert done == ["textgrad/seed0", "random/seed0"]
    again = ScriptedEngine(planner)
    results = run_bench(Run(tmp_path / "b", {}), config, engine=again, progress=False)
    assert len(again.requests) == calls[0] - calls[1] > 0  # only textgrad/seed1 ran again
    items = [json.loads(line)["item"] for line in (tmp_path / "b/steps.jsonl").open()]
    assert items == ["textgrad/seed0", "random/seed0", "textgrad/seed1", "random/seed1"]
    unkilled = json.loads((tmp_path / "full/results.json").read_text())["runs"]
    same = ("strategy", "seed", "score", "fmo_runs", "best_plan")
    assert [{k: r[k] for k in same} for r in results["runs"]] == \
        [{k: r[k] for k in same} for r in unkilled]
    assert all(r["fmo_runs"] <= 4 for r in unkilled)
    assert json.loads((tmp_path / "b/run.json").read_text())["status"] == "completed"


def _cli(tmp_path, capsys, *extra) -> str:
    run = tmp_path / f"run{len(list(tmp_path.glob('run*')))}"
    args = ["radiotherapy", "bench", "--case", "tg119", "--resolution", "12", "--budget", "2",
            "--seeds", "1", "--strategies", "random", "--run-dir", str(run), "--quiet", *extra]
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err


def _plan_file(tmp_path, weight) -> str:
    path = tmp_path / "plan.json"
    path.write_text(initial_plan(load_case("tg119", 12.0)).replace('"weight": 5', weight))
    return str(path)


def test_bad_input_is_one_line(tmp_path, capsys):
    assert "objective 3 weight = -1 is out of bounds" in _cli(
        tmp_path, capsys, "--plan", _plan_file(tmp_path, '"weight": -1'))
    assert "objective 3 weight must be a finite number" in _cli(
        tmp_path, capsys, "--plan", _plan_file(tmp_path, '"weight": NaN'))
    goals = tmp_path / "goals.json"
    goals.write_text(json.dumps([{"structure": "LIVER", "metric": "mean", "op": "<=",
                                  "value": 9}]))
    assert "structure 'LIVER' is not in the case" in _cli(tmp_path, capsys, "--goals",
                                                           str(goals))
    mat = tmp_path / "empty.mat"
    scipy.io.savemat(str(mat), {"other": np.zeros(3)})
    assert "not a matRad case: missing ct and cst" in _cli(
        tmp_path, capsys, "--case", str(mat), "--goals", "tg119")
    assert "--strategies 'genetic'" in _cli(tmp_path, capsys, "--strategies", "genetic")
    assert "--budget 0: must be at least 1" in _cli(tmp_path, capsys, "--budget", "0")
