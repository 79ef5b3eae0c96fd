"""Goals met after N tuning steps: the LLM planner (textual gradients) vs random search over the
same weights at equal budget (one plan evaluation per step), same case, same starting plan.

    python benchmarks/radiotherapy_tuning.py --case prostate --resolution 10 --steps 5
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import statistics
import tempfile
import time
from pathlib import Path

from textgrad_sci.domains.radiotherapy import initial_plan, load_case, load_goals, make_loss
from textgrad_sci.domains.radiotherapy.workflow import TuneConfig, run_tuning

from textgrad_sci.engines import get_engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="prostate")
    parser.add_argument("--resolution", type=float, default=10.0)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--engine", default="local")
    parser.add_argument("--random-seeds", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=300)
    args = parser.parse_args()

    case = load_case(args.case, args.resolution)
    goals = load_goals(args.case, case.prescription_gy)
    loss = make_loss(case, goals)
    engine = get_engine(args.engine)
    base = TuneConfig(case=args.case, resolution=args.resolution, steps=args.steps,
                      max_tokens=args.max_tokens, temperature=0.7, seed=0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, extra in (("llm+examples", {"tuner": "textgrad", "examples": True}),
                             ("llm", {"tuner": "textgrad", "examples": False})):
            started = time.perf_counter()
            s = run_tuning(Path(tmp) / label, dataclasses.replace(base, **extra), engine=engine,
                           progress=True, loss=loss, out=io.StringIO())
            rows.append((label, s["goals_met_final"], s["score_final"],
                         time.perf_counter() - started))
        random_met, random_scores = [], []
        started = time.perf_counter()
        for seed in range(args.random_seeds):
            config = dataclasses.replace(base, tuner="random", seed=seed)
            s = run_tuning(Path(tmp) / f"random{seed}", config, progress=False, loss=loss,
                           out=io.StringIO())
            random_met.append(s["goals_met_final"])
            random_scores.append(s["score_final"])
        rows.append((f"random (mean of {args.random_seeds})", statistics.mean(random_met),
                     statistics.mean(random_scores),
                     (time.perf_counter() - started) / args.random_seeds))
        start = loss.evaluate(initial_plan(case)).detail
    total = len(goals)
    print(f"case {case.name} {args.resolution:g} mm, {args.steps} steps, engine {engine.model}, "
          f"start: {start.goals_met}/{total} goals met, score {start.score:.3f}")
    print(f"{'tuner':<22} {'goals met':>9} {'score':>8} {'seconds':>8}")
    for label, met, score, seconds in rows:
        print(f"{label:<22} {met:>9.1f} {score:>8.3f} {seconds:>8.1f}")
    best_llm = rows[0][1]
    baseline = rows[-1][1]
    ratio = best_llm / baseline if baseline else float("inf")
    print(f"radiotherapy_tuning: {best_llm:.1f} goals met of {total} after {args.steps} steps "
          f"(baseline: {baseline:.1f} goals met, ratio: {ratio:.2f})")


if __name__ == "__main__":
    main()
