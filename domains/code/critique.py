"""An LLM critique of code given its test results; its text is the feedback the code receives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textgrad_sci.function import Function
from textgrad_sci.variable import Variable

from . import code_prompts as prompts

if TYPE_CHECKING:
    from textgrad_sci.engines.base import Engine


class CodeCritique(Function):
    """``critique(problem, code, results)``: the model explains what to change. In backward the
    critique (and any feedback it received) goes to the code; the test results pass their own
    rendering on to the code as well (see ``CodeTestLoss``), so no extra model call is made."""

    def __init__(self, engine: Engine | str | None = None, max_tokens: int | None = 256):
        self.engine = engine
        self.max_tokens = max_tokens

    def forward(self, problem: Variable, code: Variable, results: Variable) -> Variable:
        engine = self.backward_engine(None)
        prompt = prompts.CRITIQUE.format(
            problem=problem.value, code=code.value, results=results.value
        )

        def compute() -> str:
            if results.data.get("all_passed"):
                return "All tests pass; keep the code as it is."
            params = {"max_tokens": self.max_tokens} if self.max_tokens else {}
            return engine.chat(prompt, system_prompt=prompts.CRITIQUE_SYSTEM, **params)

        def backward(output: Variable, _engine: Engine | None) -> None:
            if not code.requires_grad or results.data.get("all_passed"):
                return
            code.add_gradient(
                f"Reviewer's critique:\n{output.value}",
                source=output.name,
                context={"via": "critique"},
            )
            for grad in list(output.gradients):
                code.add_gradient(grad.value, source=output.name, context={"via": "critique"})

        return self.make_output(
            f"critique of the {code.role_description}", [problem, code, results], backward, compute
        )
