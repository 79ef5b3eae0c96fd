"""Declared output formats for optimizer updates: instructions for the model, a structured-output
spec for the engine, and a robust parser that says clearly what was wrong."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Protocol

from .engines.base import OutputSpec
from .engines.grammar import ANY_TEXT_GBNF, tag_grammar

__all__ = ["ANY_TEXT_GBNF", "FormatError", "JsonFormat", "OutputFormat", "TagFormat"]


class FormatError(ValueError):
    """The model's answer did not follow the declared format; the message is shown to the model."""


class OutputFormat(Protocol):
    def instructions(self) -> str: ...
    def spec(self) -> OutputSpec: ...
    def parse(self, text: str) -> str: ...


@dataclass(frozen=True)
class TagFormat:
    """The new value between ``<TAG>`` and ``</TAG>``. ``body_gbnf`` constrains what may stand
    between the tags for engines that decode with grammars (e.g. a SMILES alphabet)."""

    tag: str = "IMPROVED_VARIABLE"
    body_gbnf: str | None = None

    def instructions(self) -> str:
        return (
            f"Write the improved variable between <{self.tag}> and </{self.tag}>, "
            "with nothing else between the tags."
        )

    def grammar(self) -> str:
        return tag_grammar(self.tag, self.body_gbnf)

    def spec(self) -> OutputSpec:
        return OutputSpec(tag=self.tag, grammar=self.grammar())

    def parse(self, text: str) -> str:
        pattern = re.compile(
            rf"<\s*{re.escape(self.tag)}\s*>(.*?)<\s*/\s*{re.escape(self.tag)}\s*>",
            re.DOTALL | re.IGNORECASE,
        )
        matches = pattern.findall(text)
        if not matches:
            opened = re.search(rf"<\s*{re.escape(self.tag)}\s*>", text, re.IGNORECASE)
            if opened:
                raise FormatError(f"the answer opened <{self.tag}> but never closed it")
            raise FormatError(f"the answer did not contain <{self.tag}>...</{self.tag}>")
        value = matches[-1].strip()
        if not value:
            raise FormatError(f"the text between <{self.tag}> and </{self.tag}> was empty")
        return value


@dataclass(frozen=True)
class JsonFormat:
    """The new value as a JSON object ``{key: value}``, requested with a JSON schema."""

    key: str = "improved_variable"

    def instructions(self) -> str:
        example = f'{{"{self.key}": "<the improved variable>"}}'
        return f"Answer with a JSON object {example} and nothing else."

    def spec(self) -> OutputSpec:
        schema = {
            "type": "object",
            "properties": {self.key: {"type": "string", "minLength": 1}},
            "required": [self.key],
        }
        return OutputSpec(json_schema=schema)

    def parse(self, text: str) -> str:
        stripped = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
        start, end = stripped.find("{"), stripped.rfind("}")
        if start < 0:
            raise FormatError("the answer was not a JSON object")
        candidate = stripped[start : end + 1] if end > start else stripped[start:]
        try:
            document = json.loads(candidate)
        except json.JSONDecodeError as err:
            raise FormatError(
                f"the answer was not valid JSON ({err.msg} at character {err.pos})"
            ) from None
        if not isinstance(document, dict) or self.key not in document:
            raise FormatError(f'the JSON object had no "{self.key}" field')
        value = document[self.key]
        if not isinstance(value, str):
            value = json.dumps(value)
        if not value.strip():
            raise FormatError(f'the "{self.key}" field was empty')
        return value.strip()
