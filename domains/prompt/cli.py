"""``textgrad-sci prompt optimize``: train a system prompt with validation-gated TGD steps."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace

import textgrad_sci as tg
from textgrad_sci.options import (
    UsageError,
    add_config_options,
    add_run_options,
    open_run,
)

from .tasks import load_task
from .training import PromptTrainer, TrainConfig


def aligned(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells as right-aligned plain text."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def engines(spec: str, critic: str | None, critic_max_tokens: int | None):
    """The answering engine, and the critic (its own instance, with a feedback token limit)."""
    engine = tg.get_engine(spec)
    critic_engine = tg.get_engine(critic or spec)
    if critic_max_tokens:
        critic_engine.default_params = {**critic_engine.default_params,
                                        "max_tokens": critic_max_tokens}
    return engine, critic_engine


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def accuracy_table(summary: dict) -> str:
    """Plain aligned text: the initial prompt, then one row per epoch."""
    rows = [("epoch", "train", "val", "test", "kept steps")]
    init = summary["initial"]
    rows.append(("initial", "-", _fmt(init["val"]), _fmt(init["test"]), "-"))
    for e in summary["epochs"]:
        rows.append((str(e["epoch"]), _fmt(e["train"]), _fmt(e["val"]), _fmt(e["test"]),
                     f"{e['accepted']}/{e['steps']}"))
    return aligned(rows)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("prompt", help="optimize a system prompt on a labeled dataset")
    sub = parser.add_subparsers(dest="prompt_command", metavar="ACTION", required=True)
    opt = sub.add_parser(
        "optimize", help="train a system prompt with validation-gated TGD steps",
        description="Train a system prompt with validation-gated TGD steps. Cost in model calls: "
        "validation + test answers once for the starting prompt; per step, batch-size answers, "
        "2 x batch-size feedback calls, 1-2 update calls and (with the gate) one answer per "
        "validation question for a new prompt; test answers at each epoch's end. With the local "
        "model's defaults (24 questions, batches of 4, 1 epoch) at most 70 model calls, 2-3 min "
        "on 2 cores.")
    add_config_options(opt, TrainConfig)
    add_run_options(opt, "prompt")
    opt.set_defaults(handler=optimize_command)


def optimize_command(args: argparse.Namespace) -> int:
    run, config, spec = open_run(args, "prompt", TrainConfig)
    try:
        task = load_task(
            None if config.dataset else (config.task or "object-counting"),
            config.dataset,
            checker=config.checker,
            sizes=config.sizes(),
            n=config.n,
            seed=config.seed,
            initial_prompt=config.initial_prompt,
            constrained=config.grammar,
        )
    except (ValueError, FileNotFoundError) as err:
        raise UsageError(str(err)) from None
    engine, critic = engines(spec, config.critic, config.critic_max_tokens)
    run.meta["task"] = task.describe
    config = replace(config, progress=not args.quiet)
    trainer = PromptTrainer(task, engine, config, optimizer_engine=critic)
    summary = trainer.fit(run)
    print(accuracy_table(summary))
    print(f"\nfinal prompt:\n{summary['prompt']}\n")
    print(f"run directory: {run.path} (plot: {run.path / 'plots' / 'accuracy.png'})")
    return 0
