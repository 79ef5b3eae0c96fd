"""``textgrad-sci prompt optimize`` and ``textgrad-sci answer refine``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

import textgrad_sci as tg
from textgrad_sci.config import default_engine_spec
from textgrad_sci.engines.base import EngineError
from textgrad_sci.run import default_run_dir

from .data import LETTERS, Example
from .plots import plot_accuracy, plot_votes
from .refine import AnswerRefiner, answer_key, majority_vote
from .tasks import load_task
from .training import PromptTrainer, TrainConfig, config_dict


def _finish(run: tg.Run, summary: dict) -> None:
    """Mark the run finished and write its HTML report."""
    from textgrad_sci.report import finish_run

    path = finish_run(run, summary)
    if path is not None:
        print(f"report: {path}")


def _stopped(run: tg.Run, err: BaseException) -> int:
    """A run stopped by the user or a failing engine: say so and how to resume."""
    interrupted = isinstance(err, KeyboardInterrupt)
    run.finish(status="interrupted" if interrupted else "failed")
    reason = "interrupted" if interrupted else f"the engine failed: {err}"
    print(f"{reason}\nresume with: --resume {run.path}", file=sys.stderr)
    return 130 if interrupted else 1


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def accuracy_table(summary: dict) -> str:
    """Plain aligned text: the initial prompt, then one row per epoch."""
    rows = [("epoch", "train", "val", "test", "kept steps")]
    init = summary["initial"]
    rows.append(("initial", "-", _fmt(init["val"]), _fmt(init["test"]), "-"))
    for e in summary["epochs"]:
        rows.append(
            (
                str(e["epoch"]),
                _fmt(e["train"]),
                _fmt(e["val"]),
                _fmt(e["test"]),
                f"{e['accepted']}/{e['steps']}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


# -- prompt optimize ------------------------------------------------------------------------------
def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("prompt", help="optimize a system prompt on a labeled dataset")
    sub = parser.add_subparsers(dest="prompt_command", metavar="ACTION", required=True)
    opt = sub.add_parser("optimize", help="train a system prompt with validation-gated TGD steps")
    source = opt.add_mutually_exclusive_group()
    source.add_argument("--task", choices=["object-counting"], help="built-in generated task")
    source.add_argument("--dataset", help="JSONL file of {question, answer[, choices]} lines")
    opt.add_argument(
        "--checker",
        choices=["exact", "numeric", "choice"],
        help="answer checker (default: numeric for object-counting, else exact)",
    )
    opt.add_argument("--n", type=int, default=100, help="questions to generate (built-in task)")
    opt.add_argument(
        "--split",
        default="0.3,0.35,0.35",
        help="train,val,test sizes as fractions or counts (default 0.3,0.35,0.35)",
    )
    opt.add_argument("--epochs", type=int, default=3)
    opt.add_argument("--batch-size", type=int, default=8)
    opt.add_argument("--seed", type=int, default=0)
    opt.add_argument("--max-tokens", type=int, default=256, help="per answer")
    opt.add_argument("--loss", choices=["check", "critique"], default="check")
    opt.add_argument("--no-gate", action="store_true", help="keep every step (no validation)")
    opt.add_argument(
        "--no-grammar",
        action="store_true",
        help="do not constrain answers to end with 'Answer: ...' (grammar engines)",
    )
    opt.add_argument("--initial-prompt", help="starting system prompt")
    _engine_args(opt, "optimize")
    opt.set_defaults(handler=optimize_command)


def _engine_args(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument(
        "--engine", default=None, help="engine spec (default: $TEXTGRAD_SCI_ENGINE or 'local')"
    )
    parser.add_argument(
        "--critic", default=None, help="engine for feedback and updates (default: --engine)"
    )
    parser.add_argument(
        "--critic-max-tokens",
        type=int,
        default=200,
        help="token limit of each feedback call (default 200)",
    )
    parser.add_argument("--run-dir", default=None, help=f"default runs/{command}-<UTC time>")
    parser.add_argument("--resume", default=None, metavar="RUN_DIR", help="continue a run")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _engines(args: argparse.Namespace) -> tuple[tg.Engine, tg.Engine]:
    """The answering engine, and the critic (its own instance, with a feedback token limit)."""
    spec = args.engine or default_engine_spec()
    engine = tg.get_engine(spec)
    critic = tg.get_engine(args.critic or spec)
    if args.critic_max_tokens:
        critic.default_params = {**critic.default_params, "max_tokens": args.critic_max_tokens}
    return engine, critic


def _sizes(text: str) -> list[float]:
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        raise SystemExit(f"--split must be three comma-separated numbers, not {text!r}") from None
    if len(parts) != 3:
        raise SystemExit(f"--split must have three parts (train,val,test), not {text!r}")
    return [p if p < 1 else int(p) for p in parts]


OPTIMIZE_SETTINGS = (
    "task",
    "dataset",
    "checker",
    "n",
    "split",
    "epochs",
    "batch_size",
    "seed",
    "max_tokens",
    "loss",
    "no_gate",
    "no_grammar",
    "initial_prompt",
)
REFINE_SETTINGS = ("question", "choices", "answer", "initial_answer", "steps", "max_tokens")


def _run_dir(args: argparse.Namespace, command: str, names: tuple[str, ...]) -> Path:
    """The run directory; when it already holds a run, its recorded settings replace ``args``'s
    (so ``--resume DIR`` alone continues the same task)."""
    directory = Path(args.resume or args.run_dir or default_run_dir(command))
    meta_path = directory / "run.json"
    if args.resume and not meta_path.exists():
        raise SystemExit(f"--resume {args.resume}: no run there (run.json is missing)")
    if meta_path.exists():
        saved = json.loads(meta_path.read_text(encoding="utf-8")).get("config", {}).get("args", {})
        changed = [k for k in names if k in saved and saved[k] != getattr(args, k)]
        for k in names:
            if k in saved:
                setattr(args, k, saved[k])
        if changed:
            print(
                f"note: resuming {directory} with its recorded {', '.join(changed)}",
                file=sys.stderr,
            )
    return directory


def _args_record(args: argparse.Namespace, names: tuple[str, ...]) -> dict:
    return {k: getattr(args, k) for k in names}


def optimize_command(args: argparse.Namespace) -> int:
    directory = _run_dir(args, "prompt", OPTIMIZE_SETTINGS)
    if args.task is None and args.dataset is None:
        args.task = "object-counting"
    try:
        task = load_task(
            args.task,
            args.dataset,
            checker=args.checker,
            sizes=_sizes(args.split),
            n=args.n,
            seed=args.seed,
            initial_prompt=args.initial_prompt,
            constrained=not args.no_grammar,
        )
        config = TrainConfig(
            epochs=args.epochs,
            batch_size=args.batch_size,
            seed=args.seed,
            max_tokens=args.max_tokens,
            loss=args.loss,
            gate=not args.no_gate,
            progress=not args.quiet,
        )
    except (ValueError, FileNotFoundError) as err:
        print(f"textgrad-sci prompt optimize: {err}", file=sys.stderr)
        return 2
    engine, critic = _engines(args)
    settings = {
        "task": task.describe,
        "train": config_dict(config),
        "critic": args.critic,
        "args": _args_record(args, OPTIMIZE_SETTINGS),
    }
    run = tg.Run(directory, settings, engine)
    trainer = PromptTrainer(task, engine, config, optimizer_engine=critic)
    try:
        summary = trainer.fit(run)
    except (KeyboardInterrupt, EngineError) as err:
        return _stopped(run, err)
    plot = plot_accuracy(run.steps(), summary["initial"], run.path / "plots" / "accuracy.png")
    print(accuracy_table(summary))
    print(f"\nfinal prompt:\n{summary['prompt']}\n")
    _finish(run, summary)
    print(f"run directory: {run.path} (plot: {plot})")
    return 0


# -- answer refine --------------------------------------------------------------------------------
def register_answer(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("answer", help="refine an answer at test time")
    sub = parser.add_subparsers(dest="answer_command", metavar="ACTION", required=True)
    ref = sub.add_parser("refine", help="critique and rewrite an answer, then majority vote")
    ref.add_argument("--question", help="the question (required unless resuming)")
    ref.add_argument("--choices", nargs="+", default=[], help="options, shown as (A), (B), ...")
    ref.add_argument("--answer", default=None, help="the correct answer, to report correctness")
    ref.add_argument("--initial-answer", default=None, help="start from this answer")
    ref.add_argument("--steps", type=int, default=3)
    ref.add_argument("--max-tokens", type=int, default=200)
    _engine_args(ref, "answer")
    ref.set_defaults(handler=refine_command)


def _refine_steps(
    args: argparse.Namespace, run: tg.Run, refiner: AnswerRefiner, example: Example
) -> None:
    """Step 0 is the first answer; each further step is critique, backward, update."""
    steps = run.steps()
    first = steps[0]["answer"] if steps else args.initial_answer
    answer, loss_fn, optimizer, letters = refiner.setup(example, first)
    if run.restore([answer], optimizer) == 0:
        with run.step(0) as s:
            s.record(
                parameters=[answer],
                losses={},
                answer=answer.value,
                vote=answer_key(answer.value, letters),
            )
    for i in tqdm(
        run.remaining(args.steps + 1), desc="refine", file=sys.stderr, disable=args.quiet
    ):
        with run.step(i) as s:
            loss, report = refiner.step(answer, loss_fn, optimizer)
            s.record(
                parameters=[answer],
                losses={"accepted": float(report.accepted)},
                graph=tg.graph_snapshot(loss),
                updates=[report],
                optimizer=optimizer,
                answer=answer.value,
                vote=answer_key(answer.value, letters),
            )


def refine_command(args: argparse.Namespace) -> int:
    directory = _run_dir(args, "answer", REFINE_SETTINGS)
    if not args.question or not args.question.strip():
        print("textgrad-sci answer refine: give --question (or --resume RUN_DIR)", file=sys.stderr)
        return 2
    if args.steps < 0:
        print("textgrad-sci answer refine: --steps must be at least 0", file=sys.stderr)
        return 2
    if len(args.choices) > 10:
        print("textgrad-sci answer refine: at most 10 choices", file=sys.stderr)
        return 2
    engine, critic = _engines(args)
    example = Example(args.question, args.answer or "", tuple(args.choices))
    config = {"critic": args.critic, "args": _args_record(args, REFINE_SETTINGS)}
    run = tg.Run(directory, config, engine)
    try:
        _refine_steps(args, run, AnswerRefiner(engine, critic, max_tokens=args.max_tokens), example)
    except (KeyboardInterrupt, EngineError) as err:
        return _stopped(run, err)
    steps = run.steps()
    votes = [line.get("vote") for line in steps]
    final = majority_vote(votes)
    letters = LETTERS[: len(example.choices)] if example.choices else None
    want = answer_key(args.answer, letters) if args.answer else None
    rows = [("step", "vote", "correct")]
    rows += [
        (
            str(line["step"]),
            str(line.get("vote")),
            "-" if want is None else str(line.get("vote") == want),
        )
        for line in steps
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    print("\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows))
    print(f"\nmajority vote: {final}" + ("" if want is None else f" (correct: {final == want})"))
    plot_votes(votes, run.path / "plots" / "votes.png")
    correct = None if want is None else final == want
    _finish(run, {"final": final, "votes": votes, "correct": correct})
    print(f"run directory: {run.path}")
    return 0
