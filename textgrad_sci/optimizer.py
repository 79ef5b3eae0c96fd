"""Textual gradient descent: rewrite each parameter along its feedback, robustly."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from . import optimizer_prompts as prompts
from .concurrency import parallel_map
from .config import resolve_engine
from .formats import FormatError, OutputFormat, TagFormat
from .usage import usage_label
from .variable import Variable

if TYPE_CHECKING:
    from .engines.base import Engine

ScoreFn = Callable[[str], float]


@dataclass
class UpdateReport:
    """What happened to one parameter in one step."""

    variable: str
    old_value: str
    new_value: str | None = None
    accepted: bool = False
    attempts: int = 0
    errors: list[str] = field(default_factory=list)
    score_before: float | None = None
    score_after: float | None = None
    reason: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


class TGD:
    """Textual gradient descent (alias ``TextualGradientDescent``).

    parameters: the variables to optimize.
    engine: the model that writes updates (default: the process backward engine).
    constraints: rules every new value must follow, stated to the model.
    in_context_examples: examples of good values.
    gradient_memory: how many past (value, feedback) pairs per parameter to show the model
        (momentum); 0 turns memory off.
    output_format / new_variable_tags: how the new value is declared (tags by default; a
        variable's own ``output_format`` wins).
    max_retries: how often a malformed or invalid answer is sent back before giving up; then
        the parameter keeps its old value and the failure is recorded.
    score_fn, minimize: acceptance gating; a step is kept only if ``score_fn(new value)`` is not
        worse than the score of the old value.
    """

    def __init__(
        self,
        parameters: Iterable[Variable],
        engine: Engine | str | None = None,
        constraints: Sequence[str] | None = None,
        in_context_examples: Sequence[str] | None = None,
        gradient_memory: int = 0,
        new_variable_tags: Sequence[str] | None = None,
        output_format: OutputFormat | None = None,
        max_retries: int = 2,
        score_fn: ScoreFn | None = None,
        minimize: bool = True,
        sampling: dict[str, Any] | None = None,
        concurrency: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.parameters = list(parameters)
        for p in self.parameters:
            if not p.requires_grad:
                raise ValueError(f"parameter {p.name} ({p.role_description}) does not require grad")
        self.engine = engine
        self.constraints = list(constraints or [])
        self.in_context_examples = list(in_context_examples or [])
        self.gradient_memory = gradient_memory
        if output_format is None and new_variable_tags:
            output_format = TagFormat(new_variable_tags[0].strip("<>/ "))
        self.output_format = output_format or TagFormat()
        self.max_retries = max_retries
        self.score_fn = score_fn
        self.minimize = minimize
        self.sampling = dict(sampling or {})
        self.concurrency = concurrency
        self.verbose = verbose
        self.memory: dict[str, deque[tuple[str, str]]] = {}
        self.history: list[list[UpdateReport]] = []
        self._scores: dict[str, float] = {}
        self._score_lock = threading.Lock()

    def zero_grad(self) -> None:
        for p in self.parameters:
            p.reset_gradients()

    # -- the step -------------------------------------------------------------------------------
    def step(self) -> list[UpdateReport]:
        """Update every parameter that received feedback (concurrently); never raises on bad
        model output. Returns one report per parameter, also kept in ``history``."""
        engine = resolve_engine(self.engine)
        reports = parallel_map(lambda p: self._update(p, engine), self.parameters, self.concurrency)
        self.history.append(reports)
        return reports

    def _update(self, param: Variable, engine: Engine) -> UpdateReport:
        report = UpdateReport(variable=param.name, old_value=param.value)
        feedback = param.get_gradient_text()
        if not feedback.strip():
            report.reason = "no feedback"
            return report
        fmt = param.output_format or self.output_format
        messages = [
            {
                "role": "system",
                "content": prompts.SYSTEM_PROMPT.format(format_instructions=fmt.instructions()),
            },
            {"role": "user", "content": self._update_prompt(param, feedback, fmt)},
        ]
        with usage_label(f"{param.name}:update"):
            new_value = self._propose(param, engine, messages, fmt, report)
        self._remember(param, feedback)
        if new_value is None:
            report.reason = f"kept the old value after {report.attempts} failed attempts"
            return report
        report.new_value = new_value
        if self.score_fn is not None and not self._gate(param.value, new_value, report):
            return report
        param.value = new_value
        report.accepted = True
        report.reason = report.reason or "updated"
        return report

    def _propose(self, param, engine, messages, fmt, report) -> str | None:
        """Ask for a new value; send format or validation errors back, ``max_retries`` times."""
        for _ in range(self.max_retries + 1):
            report.attempts += 1
            answer = engine.chat(messages, output=fmt.spec(), **self.sampling)
            try:
                value = fmt.parse(answer)
            except FormatError as err:
                error = str(err)
            else:
                error = param.validate(value)
                if error is None:
                    return value
                error = f"the value was rejected: {error}"
            report.errors.append(error)
            messages = messages + [
                {"role": "assistant", "content": answer},
                {
                    "role": "user",
                    "content": prompts.RETRY.format(
                        error=error, format_instructions=fmt.instructions()
                    ),
                },
            ]
        return None

    def _gate(self, old: str, new: str, report: UpdateReport) -> bool:
        report.score_before = self._score(old)
        report.score_after = self._score(new)
        worse = (
            report.score_after > report.score_before
            if self.minimize
            else report.score_after < report.score_before
        )
        if worse:
            report.reason = (
                f"rejected: score {report.score_after:g} is worse than {report.score_before:g}"
            )
        return not worse

    def _score(self, value: str) -> float:
        with self._score_lock:
            if value in self._scores:
                return self._scores[value]
        score = float(self.score_fn(value))  # type: ignore[misc]
        with self._score_lock:
            self._scores[value] = score
        return score

    def _update_prompt(self, param: Variable, feedback: str, fmt: OutputFormat) -> str:
        memory = ""
        past = self.memory.get(param.name)
        if self.gradient_memory and past:
            entries = "\n".join(prompts.MEMORY_ENTRY.format(value=v, feedback=f) for v, f in past)
            memory = prompts.MEMORY.format(entries=entries)
        constraints = (
            prompts.CONSTRAINTS.format(items="\n".join(f"- {c}" for c in self.constraints))
            if self.constraints
            else ""
        )
        examples = (
            prompts.EXAMPLES.format(
                items="\n".join(f"<EXAMPLE>{e}</EXAMPLE>" for e in self.in_context_examples)
            )
            if self.in_context_examples
            else ""
        )
        return prompts.UPDATE.format(
            role=param.role_description,
            value=param.value,
            feedback=feedback,
            memory=memory,
            constraints=constraints,
            examples=examples,
            format_instructions=fmt.instructions(),
        )

    def _remember(self, param: Variable, feedback: str) -> None:
        if self.gradient_memory:
            past = self.memory.setdefault(param.name, deque(maxlen=self.gradient_memory))
            past.append((param.value, feedback))

    # -- resume -----------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """What a run directory stores to resume this optimizer."""
        return {
            "memory": {k: [list(e) for e in v] for k, v in self.memory.items()},
            "scores": dict(self._scores),
        }

    def load_state_dict(self, state: dict) -> None:
        self.memory = {
            k: deque((tuple(e) for e in v), maxlen=self.gradient_memory or None)
            for k, v in state.get("memory", {}).items()
        }
        self._scores = dict(state.get("scores", {}))


TextualGradientDescent = TGD


class TextualGradientDescentwithMomentum(TGD):
    """TextGrad's name for TGD with gradient memory (here it returns its reports, as TGD does)."""

    def __init__(self, parameters: Iterable[Variable], momentum_window: int = 3, **kwargs):
        super().__init__(parameters, gradient_memory=momentum_window, **kwargs)
