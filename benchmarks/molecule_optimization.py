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
        value = self.loss.evaluate(smiles).objective
        value = FLOOR if value is None else value
        self.seen[smiles] = value
        self.best = max(self.best, value)
        return value

    @property
    def exhausted(self) -> bool:
        return len(self.seen) >= self.budget + 1


def run_textgrad(start, loss_factory, budget, engine, seed) -> float:
    from textgrad_sci.domains.molecule.validation import smiles_variable
    from textgrad_sci.domains.molecule.workflow import analogue_format

    from textgrad_sci.optimizer import TGD

    loss = loss_factory()
    score = Budgeted(loss, budget)
    score(start)
    var = smiles_variable(start, name="m")
    opt = TGD([var], engine=engine, score_fn=lambda s: -score(s), minimize=True, max_retries=1,
              sampling={"temperature": 0.7, "max_tokens": 96})
    for step in range(4 * budget):
        if score.exhausted:
            break
        loss.seed = opt.sampling["seed"] = seed + step
        out = loss(var)
        out.backward(engine)
        var.output_format = analogue_format(var.value, loss.analogues, loss.seed)
        opt.step()
        opt.zero_grad()
    return score.best, len(score.seen) - 1


def run_random(start, loss_factory, budget, seed) -> float:
    from textgrad_sci.losses.chem.edits import analogues

    score = Budgeted(loss_factory(), budget)
    current, rng = start, random.Random(seed)
    best = score(start)
    for step in range(4 * budget):
        if score.exhausted:
            break
        options = analogues(current, n=4, seed=seed + step)
        if not options:
            break
        candidate = rng.choice(options)[0]
        value = score(candidate)
        if value >= best:
            current, best = candidate, value
    return score.best, len(score.seen) - 1


def run_graph_ga(start, loss_factory, budget, seed) -> float:
    from mol_ga import default_ga

    score = Budgeted(loss_factory(), budget)
    default_ga(
        starting_population_smiles=[start],
        scoring_function=lambda smiles: [score(s) for s in smiles],
        max_generations=5 * budget, offspring_size=4, population_size=8,
        rng=random.Random(seed),
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
        def factory():
            return MoleculeLoss(args.target, service, references=False)

        results: dict[str, list[float]] = {"textgrad-sci": [], "random": [], "graph-ga": []}
        for start in STARTS:
            base = factory().evaluate(start).objective
            for name, fn, extra in (
                ("textgrad-sci", run_textgrad, (engine, args.seed)),
                ("random", run_random, (args.seed,)),
                ("graph-ga", run_graph_ga, (args.seed,)),
            ):
                t = time.perf_counter()
                best, used = fn(start, factory, args.budget, *extra)
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
