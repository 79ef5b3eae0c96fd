"""`sum` and `aggregate`: combine variables into one; feedback on the result reaches every input
exactly once (no LLM call, no double counting)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import reduce_prompts as prompts
from .function import Function
from .variable import Variable

if TYPE_CHECKING:
    from .engines.base import Engine


class Concatenate(Function):
    """Concatenate values; ``labelled`` wraps each part in its role (for parts of other kinds).
    ``role_template`` words the result's role from the parts' roles (TextGrad's wording)."""

    def __init__(
        self, labelled: bool = False, separator: str = "\n", role_template: str = prompts.SUM_ROLE
    ):
        self.labelled = labelled
        self.separator = separator
        self.role_template = role_template

    def forward(
        self, variables: Sequence[Variable], role_description: str | None = None
    ) -> Variable:
        variables = list({v.id: v for v in variables}.values())
        if not variables:
            raise ValueError("cannot combine an empty list of variables")
        if self.labelled:
            parts = [
                f"<{v.role_description}>\n{v.describe_value()}\n</{v.role_description}>"
                for v in variables
            ]
        else:
            parts = [v.describe_value() for v in variables]
        roles = list(dict.fromkeys(v.role_description for v in variables))
        role = role_description or self.role_template.format(roles=", ".join(roles))

        def backward(response: Variable, _engine: Engine | None) -> None:
            n = len(variables)
            for index, part in enumerate(variables):
                if not part.requires_grad:
                    continue
                for grad in list(response.gradients):
                    context = dict(response.gradients_context.get(grad, {}))
                    context["part"] = f"{index + 1} of {n}"
                    context["note"] = prompts.COMBINED_FEEDBACK.format(role=part.role_description)
                    part.add_gradient(grad.value, source=response.name, context=context)

        return self.make_output(role, variables, backward, lambda: self.separator.join(parts))


def sum(variables: Sequence[Variable], role_description: str | None = None) -> Variable:  # noqa: A001
    """Concatenate variables of the same kind (e.g. a minibatch of losses), one per line."""
    return Concatenate(labelled=False)(variables, role_description)


def aggregate(variables: Sequence[Variable], role_description: str | None = None) -> Variable:
    """Combine variables of different kinds, each labelled by its role."""
    return Concatenate(labelled=True, role_template=prompts.AGGREGATE_ROLE)(
        variables, role_description
    )


def add(left: Variable, right: Variable) -> Variable:
    """``left + right``: the values joined as they are, the roles joined with "and"."""
    role = prompts.ADD_ROLE.format(left=left.role_description, right=right.role_description)
    return Concatenate(labelled=False, separator="")([left, right], role)
