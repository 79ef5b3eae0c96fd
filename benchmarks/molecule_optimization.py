"""Optimization quality at an equal budget of tool evaluations, same run, same starting
molecules, objective QED - Vina/10 (higher is better) against one DOCKSTRING target:

- textgrad-sci: TGD on the local model (SmolLM2-135M), tool feedback, the model picks among
  RDKit one-edit analogues (grammar-constrained), acceptance gating;
- random mutation: the same analogue moves picked at random, same gating (hill climbing);
- Graph-GA from the ``mol-ga`` package (graph crossover + mutation), same budget.

Budget = new molecules scored per starting molecule (each one Vina dock).

    python benchmarks/molecule_optimization.py --budget 8 --exhaustiveness 1
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time

STARTS = ["CCN(CC)C(=O)c1ccccc1", "CC(=O)Nc1ccc(O)cc1"]


FLOOR = -5.0  # the score of an unscorable or over-budget molecule (finite: mol-ga needs it)


class Budgeted:
    """Scores molecules with the loss, counting distinct new molecules up to ``budget``."""

    def __init__(self, loss, budget: int) -> None:
        self.loss, self.budget, self.seen, self.best = loss, budget, {}, float("-inf")

    def __call__(self, smiles: str) -> float:
        if smiles in self.seen:
            return self.seen[smiles]
        if len(self.seen) >= self.budget + 1:  # +1: the starting molecule
            return FLOOR
        value = self.loss.evaluate(smiles).numbers["objective"]
        value = FLOOR if value is None else value
        self.seen[smiles] = value
        self.best = max(self.best, value)
        return value


def run_strategy(strategy, start, service, args, engine=None) -> tuple[float, int]:
    """TGD (``textgrad``) or the random-analogue baseline (``random``) through the shared loop,
    stopped once ``budget`` new molecules were scored; (best objective, molecules scored)."""
    from textgrad_sci.domains.molecule.tasks import MoleculeConfig, MoleculeTask
    from textgrad_sci.domains.molecule.workflow import MoleculeOptimization

    from textgrad_sci.loop import optimize
    from textgrad_sci.run import Run

    class Problem(MoleculeOptimization):
        def stop(self) -> bool:
            return self.states[0].loss.evaluations >= args.budget + 1

    config = MoleculeConfig(
        tasks=(MoleculeTask("m", start, args.target),), steps=4 * args.budget, gate=True,
        strategy=strategy, proposals="analogues", references=False, gradient_memory=0,
        max_retries=1, max_tokens=96, sampling_seed=args.seed)
    problem = Problem(config, service, engine)
    with tempfile.TemporaryDirectory() as run_dir:
        summary = optimize(problem, problem.optimizer, Run(run_dir, {}), config.steps,
                           seed=args.seed, progress=False, finish=False)
    return summary["tasks"][0]["best"]["objective"], problem.states[0].loss.evaluations - 1


def run_graph_ga(start, service, args) -> tuple[float, int]:
    from mol_ga import default_ga
    from textgrad_sci.losses.chem.loss import MoleculeLoss

    score = Budgeted(MoleculeLoss(args.target, service, references=False), args.budget)
    default_ga(
        starting_population_smiles=[start],
        scoring_function=lambda smiles: [score(s) for s in smiles],
        max_generations=5 * args.budget, offspring_size=4, population_size=8,
        rng=random.Random(args.seed),
    )
    return score.best, len(score.seen) - 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget", type=int, default=8)
    parser.add_argument("--target", default="DRD2")
    parser.add_argument("--exhaustiveness", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--engine", default="local")
    args = parser.parse_args()
    from textgrad_sci.losses.chem.docking import DockingService, DockSettings
    from textgrad_sci.losses.chem.loss import MoleculeLoss

    from textgrad_sci import get_engine

    engine = get_engine(args.engine)
    with tempfile.TemporaryDirectory() as cache, DockingService(
        DockSettings(exhaustiveness=args.exhaustiveness), cache=cache
    ) as service:
        results: dict[str, list[float]] = {"textgrad-sci": [], "random": [], "graph-ga": []}
        for start in STARTS:
            loss = MoleculeLoss(args.target, service, references=False)
            base = loss.evaluate(start).numbers["objective"]
            for name, run in (
                ("textgrad-sci", lambda s: run_strategy("textgrad", s, service, args, engine)),
                ("random", lambda s: run_strategy("random", s, service, args)),
                ("graph-ga", lambda s: run_graph_ga(s, service, args)),
            ):
                t = time.perf_counter()
                best, used = run(start)
                results[name].append(best)
                print(f"{start:28} {name:13} start {base:.3f} best {best:.3f} "
                      f"({used} evaluations, {time.perf_counter() - t:.0f} s)", flush=True)
    means = {k: statistics.mean(v) for k, v in results.items()}
    print("mean best objective: " + ", ".join(f"{k} {v:.3f}" for k, v in means.items()))
    print(f"optimization quality: {means['textgrad-sci']:.3f} best QED-Vina/10 "
          f"(baseline: {means['graph-ga']:.3f} Graph-GA, random {means['random']:.3f}; "
          f"ratio: {means['textgrad-sci'] / means['graph-ga']:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
