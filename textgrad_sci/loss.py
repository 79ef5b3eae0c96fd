"""Losses of text: an LLM evaluation whose output is the objective the backward pass critiques."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import loss_prompts as prompts
from .llm_ops import FormattedLLMCall, LLMCall
from .model import Module
from .multimodal import OrderedFieldsMultimodalLLMCall
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


class MultiFieldTokenParsedEvaluation(MultiFieldEvaluation):
    """A multi-field evaluation whose verdict is read between ``parse_tags`` (e.g.
    ``["<ACCURACY>", "</ACCURACY>"]``) by :meth:`parse_output`."""

    def __init__(
        self,
        evaluation_instruction: Variable | str,
        role_descriptions: list[str],
        engine: Engine | str | None = None,
        system_prompt: Variable | str | None = None,
        parse_tags: list[str] | None = None,
    ):
        super().__init__(evaluation_instruction, role_descriptions, engine, system_prompt)
        self.parse_tags = list(parse_tags or [])
        if len(self.parse_tags) != 2:
            raise ValueError("parse_tags must be an opening and a closing tag")

    def parse_output(self, response: Variable) -> str:
        """The text between the tags; a ``ValueError`` naming them when they are missing."""
        opening, closing = self.parse_tags
        text = str(response.value)
        start = text.find(opening)
        end = text.find(closing, start + len(opening)) if start >= 0 else -1
        if start < 0 or end < 0:
            raise ValueError(
                f"the evaluation has no {opening}...{closing} part: {text[:120]!r}"
            )
        return text[start + len(opening) : end].strip()


class MultiChoiceTestTime(Module):
    """A test-time loss for an answer to a multiple-choice question:
    ``loss(question_text, prediction_variable)``."""

    def __init__(
        self,
        evaluation_instruction: str,
        engine: Engine | str | None = None,
        system_prompt: Variable | str | None = None,
    ):
        if system_prompt is None:
            system_prompt = prompts.TEST_TIME_SYSTEM_PROMPT
        if isinstance(system_prompt, str):
            system_prompt = Variable(
                system_prompt, "system prompt for the test-time evaluation", requires_grad=False
            )
        self.tt_system_prompt = system_prompt
        self.engine = engine
        template = prompts.TEST_TIME_PROMPT.format(
            instruction=evaluation_instruction.replace("{", "{{").replace("}", "}}")
        )
        self.formatted_llm_call = FormattedLLMCall(
            engine, template, {"prediction": "", "question": ""}, system_prompt
        )

    def forward(self, question: str, prediction: Variable) -> Variable:
        question_variable = Variable(
            question, prompts.TEST_TIME_QUESTION_ROLE, requires_grad=False
        )
        return self.formatted_llm_call(
            {"prediction": prediction, "question": question_variable},
            f"evaluation of the {prediction.role_description}",
        )


class ImageQALoss(Module):
    """An evaluation of an answer to a question about an image:
    ``loss(image=..., question=..., response=...)``, the image sent as an image part."""

    def __init__(
        self,
        evaluation_instruction: str,
        engine: Engine | str | None = None,
        system_prompt: Variable | str | None = None,
    ):
        self.evaluation_instruction = Variable(
            evaluation_instruction, "evaluation instruction", requires_grad=False
        )
        if system_prompt is None:
            system_prompt = prompts.IMAGE_QA_SYSTEM_PROMPT
        if isinstance(system_prompt, str):
            system_prompt = Variable(
                system_prompt, "system prompt for the evaluation", requires_grad=False
            )
        self.system_prompt = system_prompt
        self.engine = engine
        self.multimodal_llm_call = OrderedFieldsMultimodalLLMCall(
            engine, prompts.IMAGE_QA_FIELDS, system_prompt
        )

    def forward(self, image: Variable, question: Variable, response: Variable) -> Variable:
        instruction, question_field, image_field, answer = prompts.IMAGE_QA_FIELDS
        inputs = {
            instruction: self.evaluation_instruction,
            question_field: question,
            image_field: image,
            answer: response,
        }
        return self.multimodal_llm_call(inputs, f"evaluation of the {response.role_description}")
