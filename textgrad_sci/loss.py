"""Losses of text: an LLM evaluation whose output is the objective the backward pass critiques."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import loss_prompts as prompts
from .llm_ops import FormattedLLMCall, LLMCall
from .variable import Variable

if TYPE_CHECKING:
    from .engines.base import Engine


class TextLoss(LLMCall):
    """Evaluate a variable with an instruction given as the evaluator's system prompt."""

    def __init__(self, eval_system_prompt: Variable | str, engine: Engine | str | None = None):
        super().__init__(engine, eval_system_prompt)
        if self.system_prompt is not None and not self.system_prompt.role_description.strip():
            self.system_prompt.role_description = "system prompt for the evaluation"

    def forward(self, instance: Variable, **params) -> Variable:  # type: ignore[override]
        return super().forward(instance, f"evaluation of the {instance.role_description}", **params)


class MultiFieldEvaluation(FormattedLLMCall):
    """Evaluate several variables at once (e.g. a prediction and its ground truth).

    ``role_descriptions`` names the inputs in order; each is shown to the evaluator in its tags.
    """

    def __init__(
        self,
        evaluation_instruction: Variable | str,
        role_descriptions: list[str],
        engine: Engine | str | None = None,
        system_prompt: Variable | str | None = None,
    ):
        instruction = (
            evaluation_instruction.value
            if isinstance(evaluation_instruction, Variable)
            else evaluation_instruction
        )
        self.role_descriptions = list(role_descriptions)
        fields = "\n".join(
            prompts.FIELD.format(role=role, value="{" + f"field{i}" + "}")
            for i, role in enumerate(self.role_descriptions)
        )
        template = prompts.MULTI_FIELD_PROMPT.format(
            instruction=instruction.replace("{", "{{").replace("}", "}}"), fields=fields
        )
        super().__init__(
            engine,
            template,
            {f"field{i}": r for i, r in enumerate(self.role_descriptions)},
            system_prompt,
        )

    def forward(self, inputs: list[Variable], **params) -> Variable:  # type: ignore[override]
        if len(inputs) != len(self.role_descriptions):
            raise ValueError(
                f"MultiFieldEvaluation expects {len(self.role_descriptions)} inputs, "
                f"got {len(inputs)}"
            )
        named = {f"field{i}": v for i, v in enumerate(inputs)}
        return super().forward(
            named, "evaluation of " + ", ".join(self.role_descriptions), **params
        )
