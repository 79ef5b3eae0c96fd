"""`Module` (parameters, zero_grad) and `BlackboxLLM`, an LLM with a system prompt as a module."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .concurrency import parallel_map
from .llm_ops import LLMCall
from .variable import Variable

if TYPE_CHECKING:
    from .engines.base import Engine


class Module:
    """A container of trainable variables and sub-modules, like ``torch.nn.Module``."""

    def parameters(self) -> list[Variable]:
        found: dict[int, Variable] = {}
        for value in vars(self).values():
            items = value if isinstance(value, list | tuple) else [value]
            for item in items:
                if isinstance(item, Variable) and item.requires_grad:
                    found.setdefault(item.id, item)
                elif isinstance(item, Module | LLMCall):
                    params = item.parameters() if isinstance(item, Module) else _call_params(item)
                    for p in params:
                        found.setdefault(p.id, p)
        return list(found.values())

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.reset_gradients()

    def forward(self, *args, **kwargs) -> Variable:
        raise NotImplementedError

    def __call__(self, *args, **kwargs) -> Variable:
        return self.forward(*args, **kwargs)

    def batch(self, inputs: Sequence, concurrency: int | None = None) -> list[Variable]:
        """Run the module on every input concurrently (a minibatch forward)."""
        return parallel_map(self, inputs, concurrency)


def _call_params(call: LLMCall) -> list[Variable]:
    sp = call.system_prompt
    return [sp] if sp is not None and sp.requires_grad else []


class BlackboxLLM(Module):
    """A language model behind a (possibly trainable) system prompt."""

    def __init__(
        self, engine: Engine | str | None = None, system_prompt: Variable | str | None = None
    ):
        if isinstance(system_prompt, str):
            system_prompt = Variable(system_prompt, "system prompt to the language model", False)
        self.engine = engine
        self.system_prompt = system_prompt
        self.llm_call = LLMCall(engine, system_prompt)

    def forward(self, x: Variable, **params) -> Variable:
        return self.llm_call(x, **params)
