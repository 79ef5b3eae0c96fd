"""Accuracy of the local model on generated object-counting questions: the initial prompt vs
the prompt after optimization, measured in the same run.

    python benchmarks/prompt_accuracy.py [--engine local] [--test 100] [--epochs 1]

Prints the accuracy table, the final prompt, and a last line
``prompt_accuracy: A fraction (baseline: B fraction, ratio: A/B)``.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from textgrad_sci.domains.prompt import PromptTrainer, TrainConfig, load_task
from textgrad_sci.domains.prompt.cli import accuracy_table

import textgrad_sci as tg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", default="local")
    parser.add_argument("--critic-max-tokens", type=int, default=150)
    parser.add_argument("--train", type=int, default=24)
    parser.add_argument("--val", type=int, default=40)
    parser.add_argument("--test", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run-dir", default=None)
    parser.add_argument("--no-gate", action="store_true", help="keep every step (no validation)")
    args = parser.parse_args()

    n = args.train + args.val + args.test
    task = load_task(
        "object-counting", n=n, sizes=(args.train, args.val, args.test), seed=args.seed
    )
    engine = tg.get_engine(args.engine)
    critic = tg.get_engine(args.engine)
    critic.default_params = {**critic.default_params, "max_tokens": args.critic_max_tokens}
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        max_tokens=args.max_tokens,
        update_max_tokens=250,
        gate=not args.no_gate,
    )
    run = tg.Run(
        args.run_dir or tempfile.mkdtemp(prefix="prompt-bench-"),
        {"benchmark": "prompt_accuracy", **vars(args)},
        engine,
    )
    started = time.perf_counter()
    summary = PromptTrainer(task, engine, config, optimizer_engine=critic).fit(run)
    seconds = time.perf_counter() - started
    run.finish(summary)
    before, after = summary["initial"]["test"], summary["final"]["test"]
    print(accuracy_table(summary))
    print(f"\nfinal prompt:\n{summary['prompt']}\n")
    print(f"run directory: {run.path}; wall time {seconds:.0f} s; engine {engine.model}")
    ratio = f"{after / before:.2f}" if before else "n/a (baseline 0)"
    print(
        f"prompt_accuracy: {after:.3f} fraction (baseline: {before:.3f} fraction, ratio: {ratio})"
    )


if __name__ == "__main__":
    main()
