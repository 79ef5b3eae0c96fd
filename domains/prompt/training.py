"""The prompt-training loop: minibatch forward, a loss per example, ``sum``, backward, a TGD
step kept only if validation accuracy does not drop, accuracy per epoch, all in a run directory."""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from tqdm import tqdm

import textgrad_sci as tg
from textgrad_sci.engines.base import Engine

from . import training_prompts as prompts
from .checkers import final_answer
from .data import Example
from .tasks import Task

MAX_PROMPT_CHARS = 3000
# For grammar-decoding engines: a new prompt of 20 to 600 characters, so that a small model
# closes the tag within its token budget (API engines ignore the grammar).
PROMPT_BODY_GBNF = "[^<]{20,600}"


@dataclass
class TrainConfig:
    """Settings of a prompt-optimization run (all recorded in the run directory)."""

    epochs: int = 3
    batch_size: int = 8
    seed: int = 0
    max_tokens: int | None = 256
    update_max_tokens: int | None = 300
    temperature: float = 0.0
    loss: str = "check"  # "check": a string-based correctness check; "critique": an LLM critique
    gate: bool = True
    gradient_memory: int = 0
    max_retries: int = 1
    concurrency: int | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        if self.loss not in ("check", "critique"):
            raise ValueError(f"loss must be 'check' or 'critique', not {self.loss!r}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be at least 1")


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
        task: Task,
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
        self._cache: dict[tuple[str, str], float] = {}

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

    def evaluate(
        self, examples: Sequence[Example], prompt_value: str | None = None, name: str = "eval"
    ) -> float:
        """Accuracy of a prompt (default: the current one) on ``examples``; cached per prompt."""
        value = self.prompt.value if prompt_value is None else prompt_value
        key = (value, name + "\x00" + "\x00".join(e.question for e in examples))
        if key in self._cache:
            return self._cache[key]
        bar = tqdm(
            total=len(examples),
            desc=name,
            leave=False,
            file=sys.stderr,
            disable=not self.config.progress,
        )

        def one(ex: Example) -> bool:
            ok = self._check(self.predict(value, ex), ex)
            bar.update(1)
            return ok

        try:
            results = tg.parallel_map(one, examples, self.config.concurrency)
        finally:
            bar.close()
        accuracy = sum(results) / len(results) if results else float("nan")
        self._cache[key] = accuracy
        return accuracy

    def validation_accuracy(self, prompt_value: str) -> float:
        return self.evaluate(self.task.val, prompt_value, "validation")

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

    def _order_feedback(self, responses: list[tg.Variable]) -> None:
        """Put the prompt's feedback in minibatch order: backward runs concurrently, so arrival
        order varies, and the update request (its cache and cassette key) must not."""
        index = {r.name: i for i, r in enumerate(responses)}
        context = self.prompt.gradients_context
        self.prompt.gradients.sort(key=lambda g: index.get(context[g].get("source"), len(index)))

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

    def train_step(self, step: int, recorder: Any = None) -> dict:
        """One minibatch: forward, sum, backward, gated TGD step. Returns the step's fields."""
        timer = recorder.time if recorder is not None else _no_timer
        epoch, batch = self.batch(step)
        self.optimizer.zero_grad()
        with timer("forward"):
            total, predictions, responses = self.forward(batch)
        with timer("backward"):
            total.backward(self.optimizer_engine, self.config.concurrency)
            self._order_feedback(responses)
        old = self.prompt.value
        with timer("update"):
            report = self.optimizer.step()[0]
            val = self.validation_accuracy(self.prompt.value)
        fields: dict[str, Any] = {
            "epoch": epoch + 1,
            "train_accuracy": sum(p["correct"] for p in predictions) / len(predictions),
            "val_accuracy": val,
            "accepted": report.accepted,
            "reverted": report.new_value is not None and not report.accepted,
            "candidate_val_accuracy": report.score_after,
            "report": report,
            "predictions": predictions,
            "graph": tg.graph_snapshot(total),
            "changed": self.prompt.value != old,
        }
        if (step + 1) % self.steps_per_epoch() == 0 and self.task.test:
            with timer("test"):
                fields["test_accuracy"] = self.evaluate(self.task.test, name="test")
        return fields

    def baseline(self, run: tg.Run) -> dict:
        """Validation and test accuracy of the initial prompt (recorded once per run)."""
        for event in run.events():
            if event.get("kind") == "baseline":
                return {"val": event["val_accuracy"], "test": event.get("test_accuracy")}
        val = self.validation_accuracy(self.task.initial_prompt)
        test = (
            self.evaluate(self.task.test, self.task.initial_prompt, "test")
            if self.task.test
            else None
        )
        run.event("baseline", prompt=self.task.initial_prompt, val_accuracy=val, test_accuracy=test)
        return {"val": val, "test": test}

    def fit(self, run: tg.Run) -> dict:
        """Train for ``config.epochs`` epochs in ``run`` (resuming where it stopped); return the
        summary (initial and per-epoch accuracies, the final prompt)."""
        start = run.restore([self.prompt], self.optimizer)
        initial = self.baseline(run)
        total_steps = self.config.epochs * self.steps_per_epoch()
        bar = tqdm(
            total=total_steps,
            initial=start,
            desc="steps",
            file=sys.stderr,
            disable=not self.config.progress,
        )
        try:
            for step in run.remaining(total_steps):
                with run.step(step) as s:
                    fields = self.train_step(step, s)
                    losses = {
                        k: float(fields[k])
                        for k in ("train_accuracy", "val_accuracy", "test_accuracy")
                        if k in fields
                    }
                    s.record(
                        parameters=[self.prompt],
                        losses=losses,
                        graph=fields.pop("graph"),
                        updates=[fields.pop("report")],
                        optimizer=self.optimizer,
                        **{k: v for k, v in fields.items() if k not in losses},
                    )
                bar.update(1)
                bar.set_postfix(val=f"{fields['val_accuracy']:.2f}")
        finally:
            bar.close()
        return summarize(run.steps(), initial, self.prompt.value)


class _NoTimer:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _no_timer(_phase: str) -> _NoTimer:
    return _NoTimer()


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


def config_dict(config: TrainConfig) -> dict:
    return asdict(config)
