"""TextGrad's ``textgrad.autograd.algebra``: ``Sum`` and ``Aggregate`` as function objects
(``Sum()(variables)``), the same concatenations as :func:`textgrad_sci.sum` and
:func:`textgrad_sci.aggregate`."""

from __future__ import annotations

from .. import reduce_prompts
from ..reduce import Concatenate


class Sum(Concatenate):
    """The values one per line; feedback on the result reaches every input once."""

    def __init__(self) -> None:
        super().__init__(labelled=False)


class Aggregate(Concatenate):
    """The values labelled by role; feedback on the result reaches every input once."""

    def __init__(self) -> None:
        super().__init__(labelled=True, role_template=reduce_prompts.AGGREGATE_ROLE)


__all__ = ["Aggregate", "Sum"]
