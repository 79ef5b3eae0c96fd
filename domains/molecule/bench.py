"""``textgrad-sci molecule bench``: strategies compared at an equal budget of oracle calls (one
objective evaluation per distinct molecule) over starting molecules and seeds, each run recorded
and resumable (:func:`textgrad_sci.loop.for_each`), means with 95% bootstrap intervals."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from textgrad_sci.options import UsageError, setting
from textgrad_sci.stats import bootstrap_ci

from .tasks import DockingConfig

STRATEGIES = ("textgrad", "random", "graph-ga", "population", "population-random")
MODEL_STRATEGIES = ("textgrad", "population")

# Small drug-like starting molecules (fast to dock), in the order --starts takes them.
STARTS = ("CCN(CC)C(=O)c1ccccc1", "CC(=O)Nc1ccc(O)cc1", "Cc1ccc(S(N)(=O)=O)cc1",
          "O=C(O)c1ccccc1O", "CN1CCN(c2ccccc2)CC1", "c1ccc2[nH]ccc2c1")
FREE_NOTE = ("budget = oracle calls per run: molecules scored by the objective (docked), each "
             "charged once (cache hits are free); cheap RDKit numbers (QED, logP, MW, SA, "
             "edit effects) are free to every strategy")


@dataclass(frozen=True)
class BenchConfig(DockingConfig):
    """The settings of ``molecule bench``."""

    objective: str = setting("F2", "F2, promiscuous_PPAR, selective_JAK2 or qed-vina")
    strategies: str = setting("textgrad,random,graph-ga", "comma-separated: "
                              + ", ".join(STRATEGIES))
    budget: int = setting(60, "oracle calls per run (molecules scored by the objective)")
    starts: int = setting(2, f"how many built-in starting molecules (at most {len(STARTS)})")
    seeds: int = setting(3, "seeds per (strategy, start)")
    smiles: tuple[str, ...] = setting((), "starting SMILES instead of the built-in ones "
                                      "(repeatable)")
    temperature: float = setting(0.7, "sampling temperature of the model's choices")
    max_tokens: int = setting(96, cli=False)
    edits: int = setting(4, cli=False)
    pool_size: int = setting(8, cli=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        from textgrad_sci.losses.chem.objectives import get_objective

        from .validation import smiles_validator

        get_objective(self.objective)
        unknown = [s for s in self.strategy_list if s not in STRATEGIES]
        if unknown or not self.strategy_list:
            raise ValueError(f"unknown strategy {', '.join(unknown) or '(none)'}: choose from "
                             + ", ".join(STRATEGIES))
        if self.budget < 1:
            raise ValueError(f"--budget must be at least 1 oracle call (got {self.budget})")
        if self.seeds < 1 or not 1 <= self.starts <= len(STARTS):
            raise ValueError(f"--seeds must be at least 1 and --starts 1 to {len(STARTS)}")
        for s in self.smiles:
            reason = smiles_validator()(s)
            if reason is not None:
                raise ValueError(f"invalid starting molecule {s!r}: {reason}")

    @property
    def strategy_list(self) -> list[str]:
        return [s.strip() for s in self.strategies.split(",") if s.strip()]

    @property
    def start_list(self) -> list[str]:
        return list(self.smiles) or list(STARTS[: self.starts])

    def items(self) -> list[tuple[str, int, int]]:
        return [(st, k, seed) for st in self.strategy_list
                for k in range(len(self.start_list)) for seed in range(self.seeds)]


def item_key(item: tuple[str, int, int]) -> str:
    strategy, start, seed = item
    return f"{strategy}/start{start}/seed{seed}"


def aggregate(config: BenchConfig, rows: list[dict]) -> dict:
    """``results.json``: per strategy the mean best objective over runs, its 95% bootstrap
    interval, the runs and the most oracle calls any one run used."""
    out = []
    for strategy in config.strategy_list:
        mine = [r for r in rows if r["strategy"] == strategy]
        mean, low, high = bootstrap_ci([r["best"] for r in mine])
        steps = sum(r["steps"] for r in mine)
        out.append({"strategy": strategy, "mean": mean, "ci_low": low, "ci_high": high,
                    "runs": len(mine), "evaluations": max(r["calls"] for r in mine),
                    "steps": steps, "accepted": sum(r["accepted"] for r in mine),
                    "rejected": sum(r["rejected"] for r in mine),
                    "failed": sum(r["failed"] for r in mine)})
    return {"objective": config.objective, "budget": config.budget, "strategies": out,
            "starts": config.start_list, "seeds": config.seeds,
            "exhaustiveness": config.exhaustiveness, "note": FREE_NOTE}


def table(results: dict) -> str:
    header = ["strategy", "mean best", "95% CI", "runs", "max calls", "accepted/steps",
              "rejected", "failed"]
    rows = [header] + [
        [s["strategy"], f"{s['mean']:.3f}", f"[{s['ci_low']:.3f}, {s['ci_high']:.3f}]",
         str(s["runs"]), str(s["evaluations"]), f"{s['accepted']}/{s['steps']}",
         str(s["rejected"]), str(s["failed"])] for s in results["strategies"]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [f"objective {results['objective']} (lower is better), budget {results['budget']}"]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in rows]
    return "\n".join(lines + [FREE_NOTE])


def connect(address: str):
    """A dask client of the scheduler at ``address``; a clear UsageError when unreachable."""
    from dask.distributed import Client

    try:
        return Client(address, timeout="5s")
    except (OSError, TimeoutError, ValueError) as err:
        raise UsageError(f"cannot reach the dask scheduler at {address}: "
                         f"{' '.join(str(err).split()) or type(err).__name__}") from None


def run_bench(config: BenchConfig, run, engine, service, progress: bool = True) -> dict:
    """Every (strategy, start, seed) run not yet recorded in ``run``, then ``results.json``,
    the plots and the table. Returns the results."""
    from functools import partial

    from textgrad_sci.losses.chem.objectives import score_objective

    from textgrad_sci.loop import for_each

    from .bench_plots import write_bench_plots
    from .bench_run import run_one
    from .oracle import Oracle

    starts = config.start_list
    sampling = {"temperature": config.temperature, "max_tokens": config.max_tokens}

    def work(item: tuple[str, int, int]) -> dict:
        strategy, k, seed = item
        scorer = partial(score_objective, objective=config.objective, service=service)
        oracle = Oracle(scorer, config.budget, config.objective)
        return run_one(strategy, starts[k], 1000 * (seed + 1), oracle, engine,
                       Path(run.path) / "runs" / item_key(item), edits=config.edits,
                       sampling=sampling, pool_size=config.pool_size)

    rows = for_each(run, config.items(), item_key, work, progress=progress, desc="bench runs")
    results = aggregate(config, rows)
    (Path(run.path) / "results.json").write_text(json.dumps(results, indent=2))
    results["plots"] = [str(p) for p in write_bench_plots(Path(run.path), config, rows, service)]
    run.finish({k: v for k, v in results.items() if k != "note"})
    return results


def bench_command(args: argparse.Namespace) -> int:
    from textgrad_sci.losses.chem.docking import DockingService

    from textgrad_sci.options import open_run

    run, config, spec = open_run(args, "molecule-bench", BenchConfig)
    engine = None
    if any(s in MODEL_STRATEGIES for s in config.strategy_list):
        from textgrad_sci.engines.registry import get_engine

        try:
            engine = get_engine(spec)
        except ValueError as err:
            run.finish({"error": str(err)}, status="failed")
            raise UsageError(str(err)) from None
    client = connect(config.scheduler) if config.scheduler else None
    cache = Path(config.cache_dir) if config.cache_dir else None
    try:
        with DockingService(config.dock_settings(), executor=client,
                            max_workers=config.workers, cache=cache) as service:
            results = run_bench(config, run, engine, service, progress=not args.quiet)
    finally:
        if client is not None:
            client.close()
    print(table(results))
    print(f"\nresults: {run.path / 'results.json'}  (plots in {run.path / 'plots'})")
    return 0
