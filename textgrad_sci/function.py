"""`Function`: computes a new `Variable` in forward, writes feedback onto its inputs in backward."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .concurrency import parallel_map
from .config import resolve_engine
from .usage import usage_label
from .variable import Variable

if TYPE_CHECKING:
    from .engines.base import Engine


class Function:
    """Base class. Subclasses implement ``forward`` and create outputs with :meth:`make_output`."""

    engine: Engine | str | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Variable:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Variable:
        raise NotImplementedError

    def batch(self, inputs: Sequence[Any], concurrency: int | None = None) -> list[Variable]:
        """Apply this function to every input concurrently (a minibatch forward)."""
        return parallel_map(self, inputs, concurrency)

    def make_output(
        self,
        role_description: str,
        predecessors: Iterable[Variable],
        backward: Callable[[Variable, Engine | None], None],
        compute: Callable[[], str],
        data: dict | None = None,
    ) -> Variable:
        """Create the output variable, compute its value with usage attributed to it, and attach
        ``backward(output, backward_engine)`` as its gradient function."""
        output = Variable("", role_description, True, predecessors, data=data)
        with usage_label(output.name):
            output.value = compute()
        output.grad_fn = lambda engine: backward(output, engine)
        output.grad_fn_name = type(self).__name__
        return output

    def backward_engine(self, engine: Engine | str | None) -> Engine:
        """The engine for backward calls: the one given to ``backward()``, else this function's,
        else the process default."""
        return resolve_engine(engine if engine is not None else self.engine)


def trainable(variables: Iterable[Variable]) -> list[Variable]:
    """The distinct variables that require feedback, in order."""
    seen: dict[int, Variable] = {}
    for v in variables:
        if v.requires_grad and v.id not in seen:
            seen[v.id] = v
    return list(seen.values())
