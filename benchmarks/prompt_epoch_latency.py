"""Wall time of one training epoch (minibatch 8) against an engine with 200 ms latency, vs the
critical-path bound: the number of engine calls that must happen one after another, times the
latency.

    python benchmarks/prompt_epoch_latency.py [--latency 0.2] [--train 32]

Per step the chain is: answer, feedback to the answer, feedback to the prompt, the update, the
validation of the new prompt (5 calls); the run adds the initial validation and test
evaluations and the end-of-epoch test (3 calls). Prints the last line
``prompt_epoch_wall_time: T s (baseline: B s, ratio: T/B)`` where the baseline is the bound.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

from textgrad_sci.domains.prompt import PromptTrainer, TrainConfig, load_task

import textgrad_sci as tg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from prompt_support import counting_engine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--train", type=int, default=32)
    parser.add_argument("--val", type=int, default=16)
    parser.add_argument("--test", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    width = max(args.batch_size, args.val, args.test)
    tg.set_concurrency(width)
    steps = math.ceil(args.train / args.batch_size)
    # every proposal is new, so every step needs a validation run
    proposals = [f"GOOD prompt version {i}" for i in range(steps)]
    bound = args.latency * (5 * steps + 3)
    times = []
    for _ in range(args.repeats):
        task = load_task(
            "object-counting",
            n=args.train + args.val + args.test,
            sizes=(args.train, args.val, args.test),
            seed=1,
        )
        engine, script = counting_engine(
            task.train + task.val + task.test, proposals, latency=args.latency
        )
        trainer = PromptTrainer(
            task, engine, TrainConfig(epochs=1, batch_size=args.batch_size, progress=False)
        )
        run = tg.Run(tempfile.mkdtemp(prefix="prompt-latency-"))
        started = time.perf_counter()
        summary = trainer.fit(run)
        times.append(time.perf_counter() - started)
        assert summary["final"]["test"] == 1.0, summary
        calls = sum(script.counts.values())
    best = min(times)
    print(f"steps {steps}, engine calls {calls}, critical path {5 * steps + 3} calls")
    print("wall times: " + ", ".join(f"{t:.2f} s" for t in times))
    print(
        f"prompt_epoch_wall_time: {best:.2f} s (baseline: {bound:.2f} s, ratio: {best / bound:.2f})"
    )


if __name__ == "__main__":
    main()
