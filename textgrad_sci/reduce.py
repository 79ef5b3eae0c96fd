"""`sum` and `aggregate`: combine variables into one; feedback on the result reaches every input
exactly once (no LLM call, no double counting)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .function import Function
from .variable import Variable

if TYPE_CHECKING:
    from .engines.base import Engine


class Concatenate(Function):
    """Concatenate values; ``labelled`` wraps each part in its role (for parts of other kinds)."""

    def __init__(self, labelled: bool = False):
        self.labelled = labelled

    def forward(
        self, variables: Sequence[Variable], role_description: str | None = None
    ) -> Variable:
        variables = list({v.id: v for v in variables}.values())
        if not variables:
            raise ValueError("cannot combine an empty list of variables")
        if self.labelled:
            parts = [
                f"<{v.role_description}>\n{v.value}\n</{v.role_description}>" for v in variables
            ]
        else:
            parts = [v.value for v in variables]
        roles = list(dict.fromkeys(v.role_description for v in variables))
        role = role_description or "a combination of: " + ", ".join(roles)

        def backward(response: Variable, _engine: Engine | None) -> None:
            n = len(variables)
            for index, part in enumerate(variables):
                if not part.requires_grad:
                    continue
                for grad in list(response.gradients):
                    context = dict(response.gradients_context.get(grad, {}))
                    context["part"] = f"{index + 1} of {n}"
                    part.add_gradient(grad.value, source=response.name, context=context)

        return self.make_output(role, variables, backward, lambda: "\n".join(parts))


def sum(variables: Sequence[Variable], role_description: str | None = None) -> Variable:  # noqa: A001
    """Concatenate variables of the same kind (e.g. a minibatch of losses)."""
    return Concatenate(labelled=False)(variables, role_description)


def aggregate(variables: Sequence[Variable], role_description: str | None = None) -> Variable:
    """Combine variables of different kinds, each labelled by its role."""
    return Concatenate(labelled=True)(variables, role_description)
