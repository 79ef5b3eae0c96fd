"""Multimodal LLM calls (TextGrad's ``MultimodalLLMCall``, ``OrderedFieldsMultimodalLLMCall``):
text and image variables in, one text response out; feedback reaches the text inputs.

Images travel as OpenAI-style ``image_url`` content parts (base64 data URLs), so any
OpenAI-compatible vision server reads them; the embedded local model says it has no vision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import llm_ops_prompts as prompts
from .engines.base import user_messages
from .function import Function, trainable
from .llm_ops import _as_variable, send_feedback
from .variable import Variable

if TYPE_CHECKING:
    from .engines.base import Engine

DEFAULT_ROLE = "response from the language model"


class MultimodalLLMCall(Function):
    """``MultimodalLLMCall(engine)([image_variable, question_variable])``: the values in order,
    images as image parts."""

    def __init__(
        self, engine: Engine | str | None = None, system_prompt: Variable | str | None = None
    ):
        self.engine = engine
        self.system_prompt = _as_variable(system_prompt, "system prompt to the language model")

    def forward(
        self,
        inputs: Sequence[Variable],
        response_role_description: str = DEFAULT_ROLE,
        **params: Any,
    ) -> Variable:
        inputs = list(inputs)
        if not inputs or not all(isinstance(v, Variable) for v in inputs):
            raise TypeError("MultimodalLLMCall takes a non-empty list of Variables")
        return self._call([v.value for v in inputs], inputs, response_role_description, params)

    def _call(
        self, content: list[str | bytes], inputs: list[Variable], role: str, params: dict
    ) -> Variable:
        engine = self.backward_engine(None)
        system = self.system_prompt.value if self.system_prompt else None
        predecessors = inputs + ([self.system_prompt] if self.system_prompt else [])

        def backward(response: Variable, backward_engine: Engine | None) -> None:
            targets = trainable(predecessors)
            if not targets:
                return
            texts, images = [], []
            for item in content:
                if isinstance(item, bytes):
                    images.append(item)
                    texts.append(prompts.IMAGE_PLACEHOLDER.format(n=len(images)))
                else:
                    texts.append(item)
            conversation = prompts.MULTIMODAL_CONVERSATION.format(
                system_prompt=system or "", prompt="\n".join(texts), response=response.value
            )
            send_feedback(
                self.backward_engine(backward_engine), response, conversation, targets, images
            )

        return self.make_output(
            role or DEFAULT_ROLE,
            predecessors,
            backward,
            lambda: engine.chat(user_messages(content), system_prompt=system, **params),
        )


class OrderedFieldsMultimodalLLMCall(MultimodalLLMCall):
    """Named inputs in the order of ``fields``: text as ``"<field>: <value>"``, images as they
    are (TextGrad's layout)."""

    def __init__(
        self,
        engine: Engine | str | None,
        fields: Sequence[str],
        system_prompt: Variable | str | None = None,
    ):
        super().__init__(engine, system_prompt)
        self.fields = list(fields)

    def forward(  # type: ignore[override]
        self,
        inputs: dict[str, Variable],
        response_role_description: str = DEFAULT_ROLE,
        **params: Any,
    ) -> Variable:
        if set(inputs) != set(self.fields):
            raise ValueError(
                f"OrderedFieldsMultimodalLLMCall expects fields {self.fields}, got {list(inputs)}"
            )
        content: list[str | bytes] = []
        for name in self.fields:
            value = inputs[name].value
            content.append(
                value
                if isinstance(value, bytes)
                else prompts.ORDERED_FIELD.format(field=name, value=value)
            )
        ordered = [inputs[name] for name in self.fields]
        return self._call(content, ordered, response_role_description, params)
