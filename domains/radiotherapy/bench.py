"""``textgrad-sci radiotherapy bench``: strategies tuning the same plan at an equal budget of
fluence optimizations (FMOs), over seeds, with 95% bootstrap intervals.

Each (strategy, seed) is one step of the bench run (:func:`textgrad_sci.loop.for_each`, so a
killed bench skips what it finished) and runs :func:`textgrad_sci.loop.optimize` in its own run
under ``RUN_DIR/runs/``. The budget counts every FMO of a run (``PlanGoalLoss.fmo_runs``), the
sensitivity FMOs of ``textgrad`` included; the loss refuses any FMO past it. A run killed midway
starts over (its FMOs so far are not carried over). The score of a run is the best goal score
(lower is better) among the plans it evaluated.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from textgrad_sci import Run, loop
from textgrad_sci.options import UsageError, setting
from textgrad_sci.stats import bootstrap_ci

from .cases import load_case
from .goals import goals_source, load_goals
from .nelder_mead import NelderMead
from .plan import PlanSchema
from .tune import PlanTuning, make_loss, plan_optimizer
from .workflow import TuneConfig, _starting_plan

STRATEGIES = ("textgrad", "random", "nelder-mead")
STALL_STEPS = 3  # a run whose last 3 steps spent no FMO stops (it only repeats plans)


@dataclass(frozen=True)
class BenchConfig:
    """The settings of ``textgrad-sci radiotherapy bench`` (saved in run.json)."""

    case: str = setting("prostate", "prostate, tg119, a case .npz or matRad .mat file or a "
                        "DICOM folder")
    resolution: float = setting(5.0, "grid resolution in mm")
    target: str | None = setting(None, "target structure (for .npz/DICOM cases)")
    prescription: float | None = setting(None, "prescription in Gy (.npz/DICOM cases)")
    goals: str | None = setting(None, "goal set: built-in name or JSON file (default: the case's)")
    plan: str | None = setting(None, "starting plan JSON file (default: a plain plan)")
    strategies: str = setting(",".join(STRATEGIES), "comma-separated strategies: "
                              + ", ".join(STRATEGIES))
    budget: int = setting(12, "fluence optimizations per run (sensitivity ones included)")
    seeds: int = setting(5, "runs per strategy")
    seed: int = setting(0, "the first seed (runs use seed, seed + 1, ...)")
    sensitivity: bool = setting(True, "textgrad without the weight-sensitivity feedback")
    sensitivity_max: int = setting(2, "weights probed per plan (doubled and halved: 2 FMOs each; "
                                   "0 = every weight)")
    fmo_method: str = setting("native", "native or lbfgsb")
    fmo_iterations: int = setting(200, "fluence optimization iterations")
    examples: bool = setting(True, "do not show textgrad the in-context example plan")
    memory: int = setting(1, "past plans and their feedback shown to textgrad (0 = none)")
    max_tokens: int = setting(400, "most tokens per proposed plan")
    temperature: float = setting(0.7, "sampling temperature of textgrad")
    sigma: float = setting(0.7, "random: log-weight step; nelder-mead: first simplex edge")

    def __post_init__(self) -> None:
        unknown = [s for s in self.strategy_list if s not in STRATEGIES]
        if unknown or not self.strategy_list:
            raise ValueError(f"--strategies {self.strategies!r}: choose from "
                             f"{', '.join(STRATEGIES)}")
        if self.budget < 1:
            raise ValueError(f"--budget {self.budget}: must be at least 1")
        if self.seeds < 1:
            raise ValueError(f"--seeds {self.seeds}: must be at least 1")
        if self.sensitivity_max < 0:
            raise ValueError(f"--sensitivity-max {self.sensitivity_max}: must be 0 or more")

    @property
    def strategy_list(self) -> list[str]:
        return [s.strip() for s in self.strategies.split(",") if s.strip()]

    @property
    def max_steps(self) -> int:
        """Loop steps per run: a step may cost no FMO (a repeated or invalid proposal), so a
        few more steps than the budget; a run that ends on this cap spent less than it."""
        return self.budget + 2

    def tune_config(self, strategy: str, seed: int) -> TuneConfig:
        return TuneConfig(case=self.case, plan=self.plan, seed=seed, sigma=self.sigma,
                          tuner="random" if strategy == "random" else "textgrad",
                          examples=self.examples, memory=self.memory, gating=True,
                          max_tokens=self.max_tokens, temperature=self.temperature)


class BudgetedTuning(PlanTuning):
    """The tuning problem, stopped when the loss's FMO budget is spent."""

    stall = STALL_STEPS

    def stop(self) -> bool:
        """The budget is spent, a plan met every goal (score 0: nothing left to gain), or the
        last ``stall`` steps spent no FMO (the proposals repeat plans already evaluated)."""
        spent = self.loss.fmo_limit is not None and self.loss.fmo_runs >= self.loss.fmo_limit
        counts = [0, *getattr(self, "_counts", [])]
        stalled = len(counts) > self.stall and counts[-1] == counts[-1 - self.stall]
        return spent or stalled or any(t["score"] <= 0 for t in self.loss.trajectory)

    def record(self, step: int, updates: list) -> dict:
        fields = super().record(step, updates)
        self._counts = [*getattr(self, "_counts", []), self.loss.fmo_runs]
        return {**fields, "fmo_runs": self.loss.fmo_runs}

    def summary(self) -> dict:
        best = min(self.loss.trajectory, key=lambda t: t["score"])
        return {"tuner": self.tuner, "fmo_runs": self.loss.fmo_runs, "score_best": best["score"],
                "goals_met_best": best["goals_met"], "best_plan": best["plan"]}


def best_so_far(trajectory: list[dict], budget: int) -> list[float | None]:
    """The best score after each FMO count 1..budget (None before the first evaluation)."""
    curve, best, i = [], None, 0
    for b in range(1, budget + 1):
        while i < len(trajectory) and trajectory[i]["fmo"] <= b:
            s = trajectory[i]["score"]
            best = s if best is None else min(best, s)
            i += 1
        curve.append(best)
    return curve


class Bench:
    """Case, goals, starting plan, one dose-influence matrix and the engine, shared by runs."""

    def __init__(self, config: BenchConfig, engine=None) -> None:
        self.config = config
        try:
            self.case = load_case(config.case, config.resolution, config.target,
                                  config.prescription)
            self.goals = load_goals(goals_source(config.goals, config.case),
                                    self.case.prescription_gy, self.case.structures)
            self.plan = _starting_plan(config.tune_config("random", 0), self.case)
        except ValueError as err:
            raise UsageError(str(err)) from None
        self.engine_spec = engine
        self._engine = None
        self.influence = self.loss().influence

    def loss(self, strategy: str = "random", limit: int | None = None):
        c = self.config
        return make_loss(self.case, self.goals, influence=getattr(self, "influence", None),
                         fmo_method=c.fmo_method, fmo_iterations=c.fmo_iterations,
                         sensitivity=strategy == "textgrad" and c.sensitivity,
                         sensitivity_max=c.sensitivity_max, fmo_limit=limit,
                         cache_size=max(32, c.budget + 2))

    @property
    def engine(self):
        if self._engine is None:
            from textgrad_sci.config import default_engine_spec
            from textgrad_sci.engines import get_engine

            spec = self.engine_spec or default_engine_spec()
            self._engine = spec if not isinstance(spec, str) else get_engine(spec)
        return self._engine

    def run_one(self, run: Run, strategy: str, seed: int) -> dict:
        """One run of ``strategy`` at the budget; its row of the results."""
        c = self.config
        directory = run.path / "runs" / f"{strategy}-seed{seed}"
        if directory.exists():
            shutil.rmtree(directory)  # killed midway: start over
        loss = self.loss(strategy, c.budget)
        engine = self.engine if strategy == "textgrad" else None
        problem = BudgetedTuning(loss, self.plan, engine, strategy)
        tune = c.tune_config(strategy, seed)
        if strategy == "nelder-mead":
            optimizer = NelderMead(problem.plan, PlanSchema.for_case(self.case), loss.score,
                                   c.sigma, seed)
        else:
            optimizer = plan_optimizer(problem, tune)
        sub = Run(directory, {"strategy": strategy, **dataclasses.asdict(tune)}, engine)
        summary = loop.optimize(problem, optimizer, sub, c.max_steps, seed=1000 * seed,
                                progress=False, finish=False)
        sub.finish(summary)
        return {"strategy": strategy, "seed": seed, "score": summary["score_best"],
                "goals_met": summary["goals_met_best"], "goals_total": len(self.goals),
                "fmo_runs": loss.fmo_runs, "steps": len(sub.steps()),
                "curve": best_so_far(loss.trajectory, c.budget), "best_plan": summary["best_plan"]}


def summarize(config: BenchConfig, case_name: str, rows: list[dict]) -> dict:
    """The results in the molecule bench's shape (plan score: lower is better) plus goals met."""
    table = []
    for strategy in config.strategy_list:
        own = [r for r in rows if r["strategy"] == strategy]
        if not own:
            continue
        mean, low, high = bootstrap_ci([r["score"] for r in own])
        met, met_low, met_high = bootstrap_ci([r["goals_met"] for r in own])
        table.append({"strategy": strategy, "mean": mean, "ci_low": low, "ci_high": high,
                      "runs": len(own),
                      "evaluations": max(r["fmo_runs"] for r in own),
                      "evaluations_mean": sum(r["fmo_runs"] for r in own) / len(own),
                      "goals_met_mean": met, "goals_met_ci_low": met_low,
                      "goals_met_ci_high": met_high, "goals_total": own[0]["goals_total"]})
    return {"case": case_name, "budget": config.budget, "seeds": config.seeds,
            "sensitivity": config.sensitivity, "sensitivity_max": config.sensitivity_max,
            "strategies": table}


def format_table(results: dict) -> str:
    lines = [f"case {results['case']}, budget {results['budget']} FMOs per run "
             "(plan score: lower is better; 95% bootstrap intervals)",
             f"{'strategy':<12} {'score':>7} {'95% CI':>17} {'goals met':>10} {'FMOs':>6} runs"]
    for s in results["strategies"]:
        ci = f"[{s['ci_low']:.3f}, {s['ci_high']:.3f}]"
        met = f"{s['goals_met_mean']:.1f}/{s['goals_total']}"
        lines.append(f"{s['strategy']:<12} {s['mean']:>7.3f} {ci:>17} {met:>10} "
                     f"{s['evaluations']:>6} {s['runs']}")
    return "\n".join(lines)


def run_bench(run: Run, config: BenchConfig, engine=None, progress: bool = True) -> dict:
    """Every (seed, strategy) run not yet recorded, then results.json, the table and plots."""
    bench = loop.guarded(run, lambda: Bench(config, engine))
    items = [(s, seed) for seed in range(config.seed, config.seed + config.seeds)
             for s in config.strategy_list]

    def work(item: tuple[str, int]) -> dict:
        row = bench.run_one(run, *item)
        return {"losses": {"score": row["score"], "goals_met": float(row["goals_met"])},
                "row": row}

    done = loop.for_each(run, items, lambda i: f"{i[0]}/seed{i[1]}", work, progress=progress,
                         desc=f"bench {bench.case.name}")
    rows = [d["row"] for d in done]
    results = summarize(config, bench.case.name, rows)
    results["runs"] = [{k: v for k, v in r.items() if k != "curve"} for r in rows]
    (run.path / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    from .bench_plots import write_bench_plots

    plots = write_bench_plots(bench, rows, run.path / "plots")
    table = format_table(results)
    (run.path / "results.txt").write_text(table + "\n", encoding="utf-8")
    summary = {"results": str(run.path / "results.json"),
               "plots": [str(Path(p).relative_to(run.path)) for p in plots],
               "strategies": results["strategies"]}
    run.finish(summary)
    return {**results, "table": table}


__all__ = ["STRATEGIES", "BenchConfig", "best_so_far", "run_bench", "summarize"]
