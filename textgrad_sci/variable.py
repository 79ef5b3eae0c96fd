"""`Variable`: a piece of text in the computation graph, and the feedback it received."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engines.base import Engine
    from .formats import OutputFormat

Validator = Callable[[str], "str | None"]
"""Checks a proposed value: returns None when it is acceptable, else a reason the model can read.
Raising ``ValueError`` counts as a rejection with the exception's message as the reason."""

_ids = itertools.count(1)


class Variable:
    """Text with a role, optionally trainable, that remembers how it was computed.

    ``gradients`` holds the textual feedback (each a ``Variable``) written onto this variable by
    the backward pass; ``gradients_context`` maps each of them to where it came from.
    """

    def __init__(
        self,
        value: Any = "",
        role_description: str = "",
        requires_grad: bool = True,
        predecessors: Iterable[Variable] | None = None,
        *,
        name: str | None = None,
        validator: Validator | None = None,
        data: dict | None = None,
        output_format: OutputFormat | None = None,
    ) -> None:
        if not isinstance(value, str):
            value = str(value)
        self.value: str = value
        self.role_description = role_description
        self.requires_grad = requires_grad
        self.predecessors: list[Variable] = list(predecessors or [])
        self.id = next(_ids)
        self.name = name or f"v{self.id}"
        self.validator = validator
        self.data: dict = dict(data or {})
        self.output_format = output_format
        self.gradients: list[Variable] = []
        self.gradients_context: dict[Variable, dict] = {}
        self.grad_fn: Callable[[Engine | None], None] | None = None
        self.grad_fn_name: str | None = None
        self._lock = threading.Lock()

    # -- TextGrad-compatible accessors -------------------------------------------------------
    def get_value(self) -> str:
        return self.value

    def set_value(self, value: str) -> None:
        self.value = value

    def get_role_description(self) -> str:
        return self.role_description

    def set_role_description(self, role_description: str) -> None:
        self.role_description = role_description

    def get_grad_fn(self):
        return self.grad_fn

    def get_short_value(self, n_words_offset: int = 10) -> str:
        """The value shortened to its first and last words."""
        words = self.value.split(" ")
        if len(words) <= 2 * n_words_offset:
            return self.value
        return " ".join(words[:n_words_offset]) + " (...) " + " ".join(words[-n_words_offset:])

    # -- feedback ----------------------------------------------------------------------------
    def add_gradient(self, feedback: Variable | str, source: str = "", context: dict | None = None):
        """Record feedback for this variable, saying which node it came from."""
        if isinstance(feedback, str):
            feedback = Variable(feedback, f"feedback to {self.role_description}", False)
        with self._lock:
            self.gradients.append(feedback)
            self.gradients_context[feedback] = {"source": source, **(context or {})}
        return feedback

    def sort_gradients(self, rank: dict[str, int]) -> None:
        """Order feedback by its source's rank (stable), so that prompts built from it do not
        depend on which concurrent branch finished first."""
        with self._lock:
            self.gradients.sort(
                key=lambda g: rank.get(self.gradients_context[g].get("source", ""), -1)
            )

    def get_gradient_text(self) -> str:
        """All feedback received, joined; empty when there is none."""
        return "\n\n".join(g.value for g in self.gradients)

    def reset_gradients(self) -> None:
        with self._lock:
            self.gradients = []
            self.gradients_context = {}

    zero_grad = reset_gradients

    def validate(self, value: str) -> str | None:
        """Run the validator on a proposed value; return the rejection reason or None."""
        if self.validator is None:
            return None
        try:
            return self.validator(value)
        except ValueError as err:
            return str(err) or type(err).__name__

    def backward(
        self, engine: Engine | str | None = None, concurrency: int | None = None, **sampling: Any
    ) -> None:
        """Send feedback from this variable (usually a loss) back through the graph;
        ``sampling`` (e.g. ``max_tokens=200``) applies to every feedback call."""
        from .graph import backward

        backward(self, engine, concurrency, **sampling)

    def __repr__(self) -> str:
        short = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        return f"Variable(name={self.name!r}, role={self.role_description!r}, value={short!r})"

    def __str__(self) -> str:
        return self.value

    def __add__(self, other: Variable) -> Variable:
        from .reduce import sum as text_sum

        return text_sum([self, other])
