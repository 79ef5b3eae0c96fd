"""Optimizers (strategies): textual gradient descent, and the random-search baseline, with one
interface (``step() -> list[UpdateReport]``, ``zero_grad()``, ``state_dict()``) so that
:mod:`textgrad_sci.loop` runs any of them and a benchmark compares them side by side."""

from __future__ import annotations

import random
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


class Optimizer:
    """The strategy interface. ``uses_feedback``: whether the loop must run backward first."""

    uses_feedback = True

    def __init__(self, parameters: Iterable[Variable]) -> None:
        self.parameters = list(parameters)
        self.history: list[list[UpdateReport]] = []

    def zero_grad(self) -> None:
        for p in self.parameters:
            p.reset_gradients()

    def step(self) -> list[UpdateReport]:
        raise NotImplementedError

    def set_seed(self, seed: int) -> None:
        """The loop's per-step seed (for sampling or random moves)."""

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def _is_worse(before: float, after: float, minimize: bool) -> bool:
    return after > before if minimize else after < before


GROUP_OPTIONS = ("constraints", "in_context_examples", "output_format", "score_fn", "minimize")


class TGD(Optimizer):
    """Textual gradient descent (TextGrad's ``TextualGradientDescent``, with its argument order,
    is a thin subclass).

    parameters: the variables to optimize, or PyTorch-style parameter groups: dicts with
        ``"params"`` and any of ``constraints``, ``in_context_examples``, ``output_format``,
        ``score_fn``, ``minimize``, which override the optimizer's own for that group.
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
        worse than the score of the old value. A rejected proposal is shown to the model in the
        parameter's next update, so it does not propose it again. ``score_fn`` should cache
        (a :class:`~textgrad_sci.ToolLoss`'s ``score`` does).
    """

    def __init__(
        self,
        parameters: Iterable[Variable] | Iterable[dict],
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
        if output_format is None and new_variable_tags:
            output_format = TagFormat(new_variable_tags[0].strip("<>/ "))
        defaults = {
            "constraints": list(constraints or []),
            "in_context_examples": list(in_context_examples or []),
            "output_format": output_format or TagFormat(),
            "score_fn": score_fn,
            "minimize": minimize,
        }
        self.param_groups = _groups(parameters, defaults)
        super().__init__(p for g in self.param_groups for p in g["params"])
        for p in self.parameters:
            if not p.requires_grad:
                raise ValueError(f"parameter {p.name} ({p.role_description}) does not require grad")
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            raise ValueError(f"parameter names must be unique: {names}")
        self._group_of = {p.name: g for g in self.param_groups for p in g["params"]}
        self.engine = engine
        self.gradient_memory = gradient_memory
        self.max_retries = max_retries
        self.sampling = dict(sampling or {})
        self.concurrency = concurrency
        self.verbose = verbose
        self.memory: dict[str, deque[tuple[str, str]]] = {}
        self.rejected: dict[str, dict] = {}

    # The first group's options, as attributes (the single-group case reads naturally).
    constraints = property(lambda self: self.param_groups[0]["constraints"])
    in_context_examples = property(lambda self: self.param_groups[0]["in_context_examples"])
    output_format = property(lambda self: self.param_groups[0]["output_format"])
    score_fn = property(lambda self: self.param_groups[0]["score_fn"])
    minimize = property(lambda self: self.param_groups[0]["minimize"])

    def set_seed(self, seed: int) -> None:
        """Sampling seed of the updates (kept unset when the optimizer was given none)."""
        if "seed" in self.sampling:
            self.sampling["seed"] = seed

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
        group = self._group_of[param.name]
        fmt = param.output_format or group["output_format"]
        messages = [
            {
                "role": "system",
                "content": prompts.SYSTEM_PROMPT.format(format_instructions=fmt.instructions()),
            },
            {"role": "user", "content": self._update_prompt(param, feedback, fmt, group)},
        ]
        with usage_label(f"{param.name}:update"):
            new_value = self._propose(param, engine, messages, fmt, report)
        self._remember(param, feedback)
        if new_value is None:
            report.reason = f"kept the old value after {report.attempts} failed attempts"
            return report
        report.new_value = new_value
        self.rejected.pop(param.name, None)
        if group["score_fn"] is not None and not self._gate(param, new_value, report, group):
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

    def _gate(self, param: Variable, new: str, report: UpdateReport, group: dict) -> bool:
        report.score_before = float(group["score_fn"](param.value))
        report.score_after = float(group["score_fn"](new))
        if not _is_worse(report.score_before, report.score_after, group["minimize"]):
            return True
        report.reason = (
            f"rejected: score {report.score_after:g} is worse than {report.score_before:g}"
        )
        self.rejected[param.name] = {
            "value": new, "score_before": report.score_before, "score_after": report.score_after,
            "direction": "lower" if group["minimize"] else "higher",
        }
        return False

    def _update_prompt(
        self, param: Variable, feedback: str, fmt: OutputFormat, group: dict
    ) -> str:
        memory = ""
        past = self.memory.get(param.name)
        if self.gradient_memory and past:
            entries = "\n".join(prompts.MEMORY_ENTRY.format(value=v, feedback=f) for v, f in past)
            memory = prompts.MEMORY.format(entries=entries)
        constraints = (
            prompts.CONSTRAINTS.format(items="\n".join(f"- {c}" for c in group["constraints"]))
            if group["constraints"]
            else ""
        )
        examples = (
            prompts.EXAMPLES.format(
                items="\n".join(f"<EXAMPLE>{e}</EXAMPLE>" for e in group["in_context_examples"])
            )
            if group["in_context_examples"]
            else ""
        )
        rejected = self.rejected.get(param.name)
        if rejected is not None:
            examples += prompts.REJECTED.format(**rejected)
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
            "rejected": dict(self.rejected),
        }

    def load_state_dict(self, state: dict) -> None:
        self.memory = {
            k: deque((tuple(e) for e in v), maxlen=self.gradient_memory or None)
            for k, v in state.get("memory", {}).items()
        }
        self.rejected = dict(state.get("rejected", {}))


def _groups(parameters: Iterable[Any], defaults: dict) -> list[dict]:
    items = list(parameters)
    if not items or not isinstance(items[0], dict):
        return [{**defaults, "params": items}]
    groups = []
    for item in items:
        unknown = set(item) - {"params", *GROUP_OPTIONS}
        if unknown:
            raise ValueError(f"unknown parameter-group option(s) {sorted(unknown)}")
        group = {**defaults, **item, "params": list(item["params"])}
        for key in ("constraints", "in_context_examples"):
            if key in group:
                group[key] = list(group[key] or [])
        groups.append(group)
    return groups


Propose = Callable[[str, random.Random], str]


class RandomSearch(Optimizer):
    """The blind baseline: each step proposes a random move from every parameter's value
    (``propose(value, rng)``), scores it with ``score_fn`` and keeps it if not worse. It reads no
    feedback, so the loop skips backward; its reports have the same fields as TGD's.
    ``parameters`` may be groups as TGD's, each with its own ``score_fn`` and ``minimize``."""

    uses_feedback = False

    def __init__(
        self,
        parameters: Iterable[Variable] | Iterable[dict],
        propose: Propose,
        score_fn: ScoreFn | None = None,
        minimize: bool = True,
        seed: int = 0,
    ) -> None:
        self.param_groups = _groups(parameters, {"score_fn": score_fn, "minimize": minimize})
        super().__init__(p for g in self.param_groups for p in g["params"])
        self._group_of = {p.name: g for g in self.param_groups for p in g["params"]}
        if any(g["score_fn"] is None for g in self.param_groups):
            raise ValueError("RandomSearch needs a score_fn (for every parameter group)")
        self.propose = propose
        self.seed = seed

    def set_seed(self, seed: int) -> None:
        self.seed = seed

    def step(self) -> list[UpdateReport]:
        rng = random.Random(self.seed)
        reports = []
        for p in self.parameters:
            report = UpdateReport(variable=p.name, old_value=p.value, attempts=1)
            try:
                candidate = self.propose(p.value, rng)
            except ValueError as err:
                report.errors.append(str(err))
                report.reason = f"no move: {err}"
                reports.append(report)
                continue
            report.new_value = candidate
            group = self._group_of[p.name]
            report.score_before = float(group["score_fn"](p.value))
            report.score_after = float(group["score_fn"](candidate))
            if _is_worse(report.score_before, report.score_after, group["minimize"]):
                report.reason = "random move rejected: the score got worse"
            else:
                p.value = candidate
                report.accepted, report.reason = True, "random move"
            reports.append(report)
        self.history.append(reports)
        return reports


# TextGrad's names, with TextGrad's argument order.
from .textgrad_optimizers import (  # noqa: E402
    TextualGradientDescent,
    TextualGradientDescentwithMomentum,
)

__all__ = [
    "GROUP_OPTIONS",
    "Optimizer",
    "RandomSearch",
    "TGD",
    "TextualGradientDescent",
    "TextualGradientDescentwithMomentum",
    "UpdateReport",
]
