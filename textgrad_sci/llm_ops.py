"""LLM functions: `LLMCall`, `FormattedLLMCall`, and the Python-function wrapper
`StringBasedFunction`; all send feedback to every input that requires it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import llm_ops_prompts as prompts
from .concurrency import parallel_map
from .function import Function, trainable
from .graph import backward_sampling
from .variable import Variable

if TYPE_CHECKING:
    from .engines.base import Engine


def _as_variable(value: Variable | str | None, role: str) -> Variable | None:
    if value is None or isinstance(value, Variable):
        return value
    return Variable(value, role, requires_grad=False)


def send_feedback(
    engine: Engine,
    response: Variable,
    conversation: str,
    targets: list[Variable],
    images: list[bytes] | None = None,
) -> None:
    """Ask ``engine`` for feedback to each target (concurrently) and record it on the target;
    ``images`` (of a multimodal call) are sent along after the text."""
    from .engines.base import user_messages

    feedback = response.get_gradient_text()

    def one(target: Variable) -> None:
        fields = {
            "conversation": conversation,
            "response_role": response.role_description,
            "variable_role": target.role_description,
            "variable": target.value,
            "feedback": feedback,
        }
        template = prompts.CHAIN_FEEDBACK if feedback else prompts.EVALUATION_FEEDBACK
        prompt = template.format(**fields)
        text = engine.chat(
            user_messages([prompt, *images]) if images else prompt,
            system_prompt=prompts.BACKWARD_SYSTEM_PROMPT,
            **backward_sampling(),
        )
        target.add_gradient(text, source=response.name, context={"via": response.role_description})

    parallel_map(one, targets)


class LLMCall(Function):
    """Call a language model with a variable as the user message and an optional system prompt."""

    def __init__(
        self, engine: Engine | str | None = None, system_prompt: Variable | str | None = None
    ):
        self.engine = engine
        self.system_prompt = _as_variable(system_prompt, "system prompt to the language model")

    def forward(
        self, input_variable: Variable, response_role_description: str | None = None, **params: Any
    ) -> Variable:
        return self._call(input_variable.value, [input_variable], response_role_description, params)

    def _call(
        self, prompt: str, inputs: list[Variable], role: str | None, params: dict
    ) -> Variable:
        engine = self.backward_engine(None)
        system = self.system_prompt.value if self.system_prompt else None
        predecessors = inputs + ([self.system_prompt] if self.system_prompt else [])

        def backward(response: Variable, backward_engine: Engine | None) -> None:
            targets = trainable(predecessors)
            if targets:
                text = prompts.CONVERSATION.format(
                    system_prompt=system or "", prompt=prompt, response=response.value
                )
                send_feedback(self.backward_engine(backward_engine), response, text, targets)

        return self.make_output(
            role or "response from the language model",
            predecessors,
            backward,
            lambda: engine.chat(prompt, system_prompt=system, **params),
        )


class FormattedLLMCall(LLMCall):
    """An LLM call whose prompt is ``format_string`` filled with the values of named variables."""

    def __init__(
        self,
        engine: Engine | str | None,
        format_string: str,
        fields: dict[str, str] | None = None,
        system_prompt: Variable | str | None = None,
    ):
        super().__init__(engine, system_prompt)
        self.format_string = format_string
        self.fields = fields or {}

    def forward(  # type: ignore[override]
        self,
        inputs: dict[str, Variable],
        response_role_description: str | None = None,
        **params: Any,
    ) -> Variable:
        missing = set(self.fields) - set(inputs)
        if missing:
            raise ValueError(f"FormattedLLMCall is missing inputs for fields: {sorted(missing)}")
        prompt = self.format_string.format(**{k: v.value for k, v in inputs.items()})
        return self._call(prompt, list(inputs.values()), response_role_description, params)


class StringBasedFunction(Function):
    """Wrap a Python function of variables (e.g. an exact-match check) as a graph node.

    ``fn`` receives the input variables as keyword arguments and returns a value (str or Variable);
    in backward an LLM explains to each input how to change the function's output.
    """

    def __init__(
        self, fn: Callable[..., Any], function_purpose: str, engine: Engine | str | None = None
    ):
        self.fn = fn
        self.function_purpose = function_purpose
        self.engine = engine

    def forward(
        self, inputs: dict[str, Variable], response_role_description: str | None = None
    ) -> Variable:
        def compute() -> str:
            result = self.fn(**inputs)
            return result.value if isinstance(result, Variable) else str(result)

        def backward(response: Variable, backward_engine: Engine | None) -> None:
            targets = trainable(inputs.values())
            if not targets:
                return
            listed = "\n".join(f"<{k}>{v.value}</{k}>" for k, v in inputs.items())
            text = prompts.FUNCTION_CALL.format(
                purpose=self.function_purpose, inputs=listed, response=response.value
            )
            send_feedback(self.backward_engine(backward_engine), response, text, targets)

        role = response_role_description or f"output of the function: {self.function_purpose}"
        return self.make_output(role, list(inputs.values()), backward, compute)
