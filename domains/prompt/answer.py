"""Test-time answer refinement: the answer is the variable, a ``TextLoss`` critique is the loss,
TGD rewrites the answer for N steps (on the shared loop), and the final answer is the majority
vote over the trajectory."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import textgrad_sci as tg
from textgrad_sci.engines.base import Engine, OutputSpec
from textgrad_sci.loop import optimize

from . import answer_prompts as prompts
from .checkers import final_answer, normalize, parse_choice
from .data import LETTERS, Example


def majority_vote(answers: Sequence[str | None]) -> str | None:
    """The most frequent answer (None entries ignored); a tie goes to the one seen last,
    since later answers have been refined more. None when there is nothing to vote on."""
    votes = [a for a in answers if a is not None]
    if not votes:
        return None
    counts = Counter(votes)
    best = max(counts.values())
    return next(a for a in reversed(votes) if counts[a] == best)


def answer_key(response: str, letters: str | None = None) -> str | None:
    """What a response votes for: its choice letter (multiple choice) or its normalized final
    answer."""
    if letters:
        return parse_choice(response, letters)
    key = normalize(final_answer(response))
    return key or None


@dataclass
class AnswerRefinement:
    question: str
    trajectory: list[str] = field(default_factory=list)
    votes: list[str | None] = field(default_factory=list)
    final: str | None = None
    reports: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "trajectory": self.trajectory,
            "votes": self.votes,
            "final": self.final,
            "reports": self.reports,
        }


def choice_validator(letters: str) -> Callable[[str], str | None]:
    def validate(value: str) -> str | None:
        if parse_choice(value, letters) is None:
            return (
                f"the answer does not end with 'Answer: (X)' where X is one of {', '.join(letters)}"
            )
        return None

    return validate


def choice_answer_gbnf(letters: str) -> str:
    """Grammar for engines that decode with one: a short reasoning line, then the letter."""
    options = " | ".join(f'"{c}"' for c in letters)
    return (
        f'root ::= (reason "\\n")? "Answer: (" ({options}) ")"\n'
        "reason ::= [^\\n<(] [^\\n<]{0,200}\n"
    )


class AnswerRefiner:
    """Refines answers to questions with ``engine`` (``critic`` for the loss and updates)."""

    def __init__(
        self,
        engine: Engine | str,
        critic: Engine | str | None = None,
        *,
        max_tokens: int | None = 200,
        temperature: float = 0.0,
    ) -> None:
        self.engine = tg.get_engine(engine)
        self.critic = tg.get_engine(critic or self.engine)
        self.max_tokens = max_tokens
        self.temperature = temperature

    def _params(self, spec: OutputSpec | None) -> dict:
        params: dict = {"temperature": self.temperature}
        if self.max_tokens:
            params["max_tokens"] = self.max_tokens
        if spec is not None:
            params["output"] = spec
        return params

    def first_answer(self, example: Example) -> str:
        """The model's first answer to the question."""
        letters = LETTERS[: len(example.choices)] if example.choices else None
        spec = OutputSpec(grammar=choice_answer_gbnf(letters)) if letters else None
        system = (
            prompts.CHOICE_SOLVER_PROMPT.format(letters=", ".join(letters))
            if letters
            else prompts.SOLVER_PROMPT
        )
        return self.engine.chat(example.prompt(), system_prompt=system, **self._params(spec))

    def setup(self, example: Example, initial_answer: str = ""):
        """The answer variable, loss and optimizer."""
        letters = LETTERS[: len(example.choices)] if example.choices else None
        answer = tg.Variable(
            initial_answer,
            prompts.ANSWER_ROLE,
            requires_grad=True,
            name="answer",
            validator=choice_validator(letters) if letters else None,
        )
        loss_fn = tg.TextLoss(
            tg.Variable(
                prompts.CRITIQUE_PROMPT.format(question=example.prompt()),
                "system prompt for the evaluation",
                requires_grad=False,
            ),
            engine=self.critic,
        )
        constraints = list(prompts.CONSTRAINTS)
        fmt = None
        if letters:
            constraints.append(prompts.CHOICE_CONSTRAINT.format(letters=", ".join(letters)))
            body = 'reason "\\n" "Answer: (" (' + " | ".join(f'"{c}"' for c in letters) + ') ")"'
            body += "\nreason ::= [^\\n<] [^\\n<]{0,200}"
            fmt = tg.TagFormat(body_gbnf=body)
        sampling = {"temperature": self.temperature}
        if self.max_tokens:
            sampling["max_tokens"] = self.max_tokens + 20
        optimizer = tg.TGD(
            [answer],
            engine=self.critic,
            constraints=constraints,
            output_format=fmt,
            sampling=sampling,
            max_retries=1,
        )
        return answer, loss_fn, optimizer, letters

    def critique(self, answer: tg.Variable, loss_fn) -> tg.Variable:
        """The critique of the current answer (the loss)."""
        params = {"temperature": self.temperature}
        if self.max_tokens:
            params["max_tokens"] = self.max_tokens
        return loss_fn(answer, **params)


class Refinement:
    """The loop's view of answer refinement: step 0 records the first answer, each later step
    critiques the answer and rewrites it."""

    def __init__(
        self, refiner: AnswerRefiner, example: Example, initial_answer: str | None = None
    ) -> None:
        self.refiner, self.example, self.initial_answer = refiner, example, initial_answer
        answer, self.loss_fn, self.optimizer, self.letters = refiner.setup(
            example, initial_answer or ""
        )
        self.parameters = [answer]
        self.engine = refiner.critic
        self.votes: list[str | None] = []
        self.want = answer_key(example.answer, self.letters) if example.answer else None

    @property
    def answer(self) -> tg.Variable:
        return self.parameters[0]

    def restore(self, steps: list[dict]) -> None:
        self.votes = [s.get("vote") for s in steps]

    def forward(self, step: int, seed: int) -> tg.Variable | None:
        if step == 0:
            if self.initial_answer is None:
                self.answer.value = self.refiner.first_answer(self.example)
            return None
        return self.refiner.critique(self.answer, self.loss_fn)

    def record(self, step: int, updates: list) -> dict:
        vote = answer_key(self.answer.value, self.letters)
        self.votes.append(vote)
        losses = {"accepted": float(updates[0].accepted)} if updates else {}
        return {"losses": losses, "answer": self.answer.value, "vote": vote}

    def summary(self) -> dict:
        final = majority_vote(self.votes)
        correct = None if self.want is None else final == self.want
        return {"final": final, "votes": list(self.votes), "correct": correct}

    def write_artifacts(self, run_dir, summary: dict) -> None:
        from .plots import plot_votes

        plot_votes(summary["votes"], run_dir / "plots" / "votes.png")


def refine_answer(
    question: str | Example,
    engine: Engine | str,
    *,
    choices: Sequence[str] = (),
    steps: int = 3,
    initial_answer: str | None = None,
    critic: Engine | str | None = None,
    max_tokens: int | None = 200,
    run: tg.Run | None = None,
) -> AnswerRefinement:
    """Refine an answer for ``steps`` steps and return the trajectory and its majority vote
    (recorded in ``run``, else in a temporary run directory)."""
    example = question if isinstance(question, Example) else Example(question, "", tuple(choices))
    problem = Refinement(AnswerRefiner(engine, critic, max_tokens=max_tokens), example,
                         initial_answer)
    with tempfile.TemporaryDirectory(prefix="answer-") as scratch:
        run = run or tg.Run(scratch)
        summary = optimize(problem, problem.optimizer, run, steps + 1, progress=False,
                           finish=False)
        records = run.steps()
    return AnswerRefinement(
        example.question,
        trajectory=[r["answer"] for r in records],
        votes=summary["votes"],
        final=summary["final"],
        reports=[u for r in records for u in r.get("updates", [])],
    )
