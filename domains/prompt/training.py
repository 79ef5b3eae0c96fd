"""The prompt-training loop: minibatch forward, a loss per example, ``sum``, backward, a TGD
step kept only if validation accuracy does not drop, accuracy per epoch, all in a run directory."""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

import textgrad_sci as tg
from textgrad_sci.engines.base import Engine
from textgrad_sci.loop import optimize
from textgrad_sci.options import setting

from . import training_prompts as prompts
from .checkers import final_answer
from .data import Example
from .tasks import PromptTask

MAX_PROMPT_CHARS = 3000
# For grammar-decoding engines: a new prompt of 20 to 600 characters, so that a small model
# closes the tag within its token budget (API engines ignore the grammar).
PROMPT_BODY_GBNF = "[^<]{20,600}"


@dataclass(frozen=True)
class TrainConfig:
    """Settings of a prompt-optimization run: the task, the training and the engines' limits,
    all recorded in the run directory (``prompt optimize``'s options are made from them)."""

    task: str | None = setting(None, "built-in generated task (default: object-counting)",
                               choices=("object-counting",))
    dataset: str | None = setting(None, "JSONL file of {question, answer[, choices]} lines")
    checker: str | None = setting(None, "answer checker (default: numeric for object-counting, "
                                  "else exact)", choices=("exact", "numeric", "choice"))
    n: int = setting(100, "questions to generate (built-in task)", local=24)
    split: str = setting("0.3,0.35,0.35", "train,val,test sizes as fractions or counts")
    epochs: int = setting(3, "passes over the training set")
    batch_size: int = setting(8, "questions per step", local=4)
    seed: int = setting(0, "split, shuffling and sampling seed")
    max_tokens: int | None = setting(256, "tokens per answer", local=64)
    loss: str = setting("check", "check: a string-based correctness check; critique: an LLM "
                        "critique", choices=("check", "critique"))
    gate: bool = setting(True, "keep every step (no validation gate)")
    grammar: bool = setting(True, "do not constrain answers to end with 'Answer: ...' (grammar "
                            "engines)")
    initial_prompt: str | None = setting(None, "starting system prompt")
    update_max_tokens: int | None = setting(300, "tokens per prompt update", local=160)
    temperature: float = setting(0.0, "sampling temperature of answers and updates")
    gradient_memory: int = setting(0, "past prompts and their feedback shown to the optimizer")
    max_retries: int = setting(1, "retries of a malformed update")
    concurrency: int | None = setting(None, "parallel model calls")
    critic: str | None = setting(None, "engine spec for feedback and updates (default: --engine)")
    critic_max_tokens: int | None = setting(200, "token limit of each feedback call", local=64)
    progress: bool = setting(True, cli=False)

    def __post_init__(self) -> None:
        if self.loss not in ("check", "critique"):
            raise ValueError(f"loss must be 'check' or 'critique', not {self.loss!r}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be at least 1")
        if self.task is not None and self.dataset is not None:
            raise ValueError("give --task or --dataset, not both")

    def sizes(self) -> list[float]:
        """``split`` as three numbers (fractions below 1, else counts)."""
        try:
            parts = [float(p) for p in self.split.split(",")]
        except ValueError:
            raise ValueError(
                f"--split must be three comma-separated numbers, not {self.split!r}"
            ) from None
        if len(parts) != 3:
            raise ValueError(f"--split must have three parts (train,val,test), not {self.split!r}")
        return [p if p < 1 else int(p) for p in parts]


class Accuracy(tg.ToolLoss):
    """The accuracy of a system prompt on fixed examples (higher is better), measured once per
    prompt: the acceptance gate's score."""

    minimize = False

    def __init__(self, trainer: PromptTrainer, examples: Sequence[Example], name: str) -> None:
        self.trainer, self.examples, self.name = trainer, list(examples), name

    def measure(self, value: str) -> tg.Measurement:
        accuracy = self.trainer.accuracy_of(value, self.examples, self.name)
        return tg.Measurement({"accuracy": accuracy}, f"{self.name} accuracy {accuracy:.3f}",
                              accuracy)


def validate_prompt(value: str) -> str | None:
    """A system prompt must be non-empty instructions of reasonable length."""
    if not value.strip():
        return "the system prompt is empty"
    if len(value) > MAX_PROMPT_CHARS:
        return f"the system prompt has {len(value)} characters; keep it under {MAX_PROMPT_CHARS}"
    return None


class PromptTrainer:
    """Optimizes ``task``'s system prompt with ``engine`` (and ``optimizer_engine`` for feedback
    and updates, default the same engine)."""

    def __init__(
        self,
        task: PromptTask,
        engine: Engine | str,
        config: TrainConfig | None = None,
        optimizer_engine: Engine | str | None = None,
    ) -> None:
        self.task = task
        self.config = config or TrainConfig()
        self.engine = tg.get_engine(engine)
        self.optimizer_engine = tg.get_engine(optimizer_engine or self.engine)
        self.prompt = tg.Variable(
            task.initial_prompt,
            prompts.PROMPT_ROLE,
            requires_grad=True,
            name="system_prompt",
            validator=validate_prompt,
            output_format=tg.TagFormat(body_gbnf=PROMPT_BODY_GBNF),
        )
        self.model = tg.BlackboxLLM(self.engine, self.prompt)
        self.loss_fn = self._make_loss()
        sampling = {"temperature": self.config.temperature}
        if self.config.update_max_tokens:
            sampling["max_tokens"] = self.config.update_max_tokens
        self.optimizer = tg.TGD(
            [self.prompt],
            engine=self.optimizer_engine,
            constraints=prompts.CONSTRAINTS,
            gradient_memory=self.config.gradient_memory,
            max_retries=self.config.max_retries,
            score_fn=self.validation_accuracy if self.config.gate else None,
            minimize=False,
            sampling=sampling,
            concurrency=self.config.concurrency,
        )
        self.val_accuracy = Accuracy(self, task.val, "validation")
        self.test_accuracy = Accuracy(self, task.test, "test")

    # -- forward and evaluation -------------------------------------------------------------------
    def answer_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"temperature": self.config.temperature}
        if self.config.max_tokens:
            params["max_tokens"] = self.config.max_tokens
        if self.task.answer_spec is not None:
            params["output"] = self.task.answer_spec
        return params

    def predict(self, prompt_value: str, example: Example) -> str:
        """The model's response to one question under a system prompt (no graph)."""
        return self.engine.chat(
            example.prompt(), system_prompt=prompt_value, **self.answer_params()
        )

    def accuracy_of(self, prompt_value: str, examples: Sequence[Example], name: str) -> float:
        """Accuracy of a prompt on ``examples`` (answered concurrently, no graph)."""
        bar = tqdm(total=len(examples), desc=name, leave=False, file=sys.stderr,
                   disable=not self.config.progress)

        def one(ex: Example) -> bool:
            ok = self._check(self.predict(prompt_value, ex), ex)
            bar.update(1)
            return ok

        try:
            results = tg.parallel_map(one, examples, self.config.concurrency)
        finally:
            bar.close()
        return sum(results) / len(results) if results else float("nan")

    def evaluate(self, split: str = "test", prompt_value: str | None = None) -> float:
        """Accuracy of a prompt (default: the current one) on the validation or test split;
        measured once per prompt."""
        loss = self.val_accuracy if split == "validation" else self.test_accuracy
        return loss.score(self.prompt.value if prompt_value is None else prompt_value)

    def validation_accuracy(self, prompt_value: str) -> float:
        return self.val_accuracy.score(prompt_value)

    def _check(self, response: str, ex: Example) -> bool:
        try:
            return bool(self.task.checker(response, ex.answer))
        except ValueError:
            return False

    # -- the loss ---------------------------------------------------------------------------------
    def _make_loss(self):
        if self.config.loss == "critique":
            critic = tg.MultiFieldEvaluation(
                prompts.CRITIQUE_INSTRUCTION,
                [prompts.QUESTION_ROLE, prompts.PREDICTION_ROLE, prompts.ANSWER_ROLE],
                engine=self.optimizer_engine,
            )
            return lambda q, r, y: critic([q, r, y], max_tokens=self.config.update_max_tokens)

        def check(prediction: tg.Variable, ground_truth: tg.Variable) -> str:
            got = final_answer(prediction.value)[:200] or "(none)"
            ok = self._check(prediction.value, Example("", ground_truth.value))
            template = prompts.CHECK_CORRECT if ok else prompts.CHECK_WRONG
            return template.format(got=got, want=ground_truth.value)

        checker = tg.StringBasedFunction(check, prompts.CHECK_PURPOSE, engine=self.optimizer_engine)
        return lambda q, r, y: checker({"prediction": r, "ground_truth": y})

    def forward(
        self, batch: Sequence[Example]
    ) -> tuple[tg.Variable, list[dict], list[tg.Variable]]:
        """Answer every question concurrently, a loss per example, combined with ``sum``.
        Returns the total loss, a record per example and the responses (in batch order)."""
        params = self.answer_params()

        def one(ex: Example) -> tuple[tg.Variable, tg.Variable, dict]:
            q = tg.Variable(ex.prompt(), prompts.QUESTION_ROLE, requires_grad=False)
            y = tg.Variable(ex.answer, prompts.ANSWER_ROLE, requires_grad=False)
            response = self.model(q, response_role_description=prompts.PREDICTION_ROLE, **params)
            loss = self.loss_fn(q, response, y)
            ok = self._check(response.value, ex)
            return (
                loss,
                response,
                {
                    "question": ex.question,
                    "answer": ex.answer,
                    "response": response.value,
                    "correct": ok,
                },
            )

        results = tg.parallel_map(one, batch, self.config.concurrency)
        total = tg.sum([r[0] for r in results], "evaluations of a minibatch of responses")
        return total, [r[2] for r in results], [r[1] for r in results]

    # -- training ---------------------------------------------------------------------------------
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.task.train) / self.config.batch_size)

    def batch(self, step: int) -> tuple[int, list[Example]]:
        """The epoch and minibatch of a global step (deterministic: shuffled per epoch by seed)."""
        per_epoch = self.steps_per_epoch()
        epoch, index = divmod(step, per_epoch)
        order = list(self.task.train)
        random.Random(f"{self.config.seed}:{epoch}").shuffle(order)
        size = self.config.batch_size
        return epoch, order[index * size : (index + 1) * size]

    def baseline(self, run: tg.Run) -> dict:
        """Validation and test accuracy of the initial prompt (recorded once per run)."""
        for event in run.events():
            if event.get("kind") == "baseline":
                return {"val": event["val_accuracy"], "test": event.get("test_accuracy")}
        val = self.validation_accuracy(self.task.initial_prompt)
        test = self.evaluate("test", self.task.initial_prompt) if self.task.test else None
        run.event("baseline", prompt=self.task.initial_prompt, val_accuracy=val, test_accuracy=test)
        return {"val": val, "test": test}

    def fit(self, run: tg.Run, finish: bool = True) -> dict:
        """Train for ``config.epochs`` epochs in ``run`` (resuming where it stopped); return the
        summary (initial and per-epoch accuracies, the final prompt)."""
        total = self.config.epochs * self.steps_per_epoch()
        return optimize(_Training(self, run), self.optimizer, run, total, seed=self.config.seed,
                        progress=self.config.progress, desc="steps", finish=finish)


class _Training:
    """The loop's view of prompt training: one minibatch per step."""

    def __init__(self, trainer: PromptTrainer, run: tg.Run) -> None:
        self.trainer, self.run = trainer, run
        self.parameters = [trainer.prompt]
        self.engine = trainer.optimizer_engine
        self.initial: dict = {}
        self.step_fields: dict[str, Any] = {}

    def restore(self, steps: list[dict]) -> None:
        self.initial = self.trainer.baseline(self.run)
        if steps:  # the restored prompt's validation accuracy is on record: not measured again
            last = steps[-1]
            accuracy = last["losses"]["val_accuracy"]
            self.trainer.val_accuracy.remember(
                last["parameters"]["system_prompt"], tg.Measurement({"accuracy": accuracy}, "",
                                                                    accuracy))

    def forward(self, step: int, seed: int) -> tg.Variable:
        epoch, batch = self.trainer.batch(step)
        total, predictions, _ = self.trainer.forward(batch)
        self.step_fields = {"epoch": epoch + 1, "predictions": predictions,
                            "old": self.trainer.prompt.value}
        return total

    def record(self, step: int, updates: list) -> dict:
        t, report = self.trainer, updates[0]
        predictions = self.step_fields["predictions"]
        losses = {
            "train_accuracy": sum(p["correct"] for p in predictions) / len(predictions),
            "val_accuracy": t.validation_accuracy(t.prompt.value),
        }
        if (step + 1) % t.steps_per_epoch() == 0 and t.task.test:
            losses["test_accuracy"] = t.evaluate("test")
        return {
            "losses": losses,
            "epoch": self.step_fields["epoch"],
            "accepted": report.accepted,
            "reverted": report.new_value is not None and not report.accepted,
            "candidate_val_accuracy": report.score_after,
            "predictions": predictions,
            "changed": t.prompt.value != self.step_fields["old"],
        }

    def progress(self, fields: dict) -> str:
        return f"val={fields['losses']['val_accuracy']:.2f}"

    def summary(self) -> dict:
        return summarize(self.run.steps(), self.initial, self.trainer.prompt.value)

    def write_artifacts(self, run_dir, summary: dict) -> None:
        from .plots import plot_accuracy

        plot_accuracy(self.run.steps(), summary["initial"], run_dir / "plots" / "accuracy.png")


def summarize(steps: list[dict], initial: dict, prompt: str) -> dict:
    """Initial accuracy, per-epoch accuracy (train mean, last validation, test) and the prompt."""
    epochs: dict[int, dict] = {}
    for line in steps:
        losses = line.get("losses", {})
        e = epochs.setdefault(
            line["epoch"],
            {
                "epoch": line["epoch"],
                "train": [],
                "steps": 0,
                "accepted": 0,
                "val": None,
                "test": None,
            },
        )
        e["train"].append(losses.get("train_accuracy", 0.0))
        e["steps"] += 1
        e["accepted"] += int(bool(line.get("accepted")) and bool(line.get("changed")))
        e["val"] = losses.get("val_accuracy")
        e["test"] = losses.get("test_accuracy", e["test"])
    rows = []
    for e in epochs.values():
        e["train"] = sum(e["train"]) / len(e["train"])
        rows.append(e)
    final = {"val": rows[-1]["val"], "test": rows[-1]["test"]} if rows else dict(initial)
    return {"initial": initial, "epochs": rows, "final": final, "prompt": prompt}
