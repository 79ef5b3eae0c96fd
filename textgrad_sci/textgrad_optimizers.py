"""TextGrad's optimizer signatures over this project's :class:`~textgrad_sci.optimizer.TGD`.

``TextualGradientDescent(parameters, verbose=0, engine=None, constraints=None,
new_variable_tags=None, optimizer_system_prompt=None, in_context_examples=None,
gradient_memory=0)`` and ``TextualGradientDescentwithMomentum(engine, parameters,
momentum_window=0, ...)`` take TextGrad's positional order; everything else (parameter groups,
retries on malformed answers, validators, gating, ``state_dict``) is TGD's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .optimizer import TGD
from .variable import Variable

if TYPE_CHECKING:
    from .engines.base import Engine


def _no_custom_system_prompt(optimizer_system_prompt: str | None) -> None:
    if optimizer_system_prompt is not None:
        raise ValueError(
            "optimizer_system_prompt is not supported: textgrad-sci's TGD writes its own system "
            "prompt with the output format it parses; state rules with constraints=[...]"
        )


class TextualGradientDescent(TGD):
    """TGD with TextGrad's positional order (``parameters, verbose, engine, ...``)."""

    def __init__(
        self,
        parameters: Iterable[Variable] | Iterable[dict],
        verbose: int = 0,
        engine: Engine | str | None = None,
        constraints: Sequence[str] | None = None,
        new_variable_tags: Sequence[str] | None = None,
        optimizer_system_prompt: str | None = None,
        in_context_examples: Sequence[str] | None = None,
        gradient_memory: int = 0,
        **kwargs: Any,
    ) -> None:
        _no_custom_system_prompt(optimizer_system_prompt)
        super().__init__(
            parameters,
            engine=engine,
            constraints=constraints,
            in_context_examples=in_context_examples,
            gradient_memory=gradient_memory,
            new_variable_tags=new_variable_tags,
            verbose=verbose,
            **kwargs,
        )


class TextualGradientDescentwithMomentum(TGD):
    """TGD with gradient memory, in TextGrad's order (``engine, parameters, momentum_window``);
    the project's order (``parameters`` first, ``engine=`` by keyword) works too. Unlike
    TextGrad's, its ``step`` updates the parameters and returns its reports."""

    def __init__(
        self,
        *args: Any,
        engine: Engine | str | None = None,
        parameters: Iterable[Variable] | Iterable[dict] | None = None,
        momentum_window: int = 0,
        constraints: Sequence[str] | None = None,
        new_variable_tags: Sequence[str] | None = None,
        in_context_examples: Sequence[str] | None = None,
        optimizer_system_prompt: str | None = None,
        **kwargs: Any,
    ) -> None:
        from .engines.base import Engine

        rest = list(args)
        if rest and (rest[0] is None or isinstance(rest[0], Engine | str)):
            engine = rest.pop(0)
        if rest:
            parameters = rest.pop(0)
        if rest:
            momentum_window = rest.pop(0)
        if rest:
            raise TypeError("TextualGradientDescentwithMomentum takes at most 3 positional "
                            "arguments (engine, parameters, momentum_window)")
        if parameters is None:
            raise TypeError("TextualGradientDescentwithMomentum needs parameters")
        _no_custom_system_prompt(optimizer_system_prompt)
        super().__init__(
            parameters,
            engine=engine,
            constraints=constraints,
            in_context_examples=in_context_examples,
            gradient_memory=momentum_window,
            new_variable_tags=new_variable_tags,
            **kwargs,
        )
        self.momentum_window = momentum_window


__all__ = ["TextualGradientDescent", "TextualGradientDescentwithMomentum"]
