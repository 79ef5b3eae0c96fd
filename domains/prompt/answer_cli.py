"""``textgrad-sci answer refine``: critique and rewrite an answer at test time, then vote."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from textgrad_sci.loop import optimize
from textgrad_sci.options import add_config_options, add_run_options, open_run, setting

from .answer import AnswerRefiner, Refinement
from .cli import aligned, engines
from .data import Example


@dataclass(frozen=True)
class AnswerConfig:
    """Settings of one answer refinement (recorded in the run directory)."""

    question: str | None = setting(None, "the question (required unless resuming)")
    choices: tuple[str, ...] = setting((), "options, shown as (A), (B), ...", nargs="+")
    answer: str | None = setting(None, "the correct answer, to report correctness")
    initial_answer: str | None = setting(None, "start from this answer")
    steps: int = setting(3, "refinement steps after the first answer")
    max_tokens: int | None = setting(200, "tokens per answer", local=96)
    critic: str | None = setting(None, "engine spec for feedback and updates (default: --engine)")
    critic_max_tokens: int | None = setting(200, "token limit of each feedback call", local=96)

    def __post_init__(self) -> None:
        if not self.question or not self.question.strip():
            raise ValueError("give --question (or --resume RUN_DIR)")
        if self.steps < 0:
            raise ValueError("--steps must be at least 0")
        if len(self.choices) > 10:
            raise ValueError("at most 10 choices")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("answer", help="refine an answer at test time")
    sub = parser.add_subparsers(dest="answer_command", metavar="ACTION", required=True)
    ref = sub.add_parser(
        "refine", help="critique and rewrite an answer, then majority vote",
        description="Critique and rewrite an answer, then take the majority vote of the "
        "trajectory. Cost: 1 model call for the first answer, then per step 1 critique, "
        "1 feedback and 1-2 update calls (with the default --steps 3: at most 13 model calls).")
    add_config_options(ref, AnswerConfig)
    add_run_options(ref, "answer")
    ref.set_defaults(handler=refine_command)


def refine_command(args: argparse.Namespace) -> int:
    run, config, spec = open_run(args, "answer", AnswerConfig)
    engine, critic = engines(spec, config.critic, config.critic_max_tokens)
    example = Example(config.question, config.answer or "", config.choices)
    problem = Refinement(AnswerRefiner(engine, critic, max_tokens=config.max_tokens), example,
                         config.initial_answer)
    summary = optimize(problem, problem.optimizer, run, config.steps + 1,
                       progress=not args.quiet, desc="refine")
    want = problem.want
    rows = [("step", "vote", "correct")] + [
        (str(i), str(v), "-" if want is None else str(v == want))
        for i, v in enumerate(summary["votes"])
    ]
    print(aligned(rows))
    final = summary["final"]
    print(f"\nmajority vote: {final}" + ("" if want is None else f" (correct: {final == want})"))
    print(f"run directory: {run.path}")
    return 0
