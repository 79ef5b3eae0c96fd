"""Datasets of (question, answer) pairs: JSONL files and deterministic splits."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LETTERS = "ABCDEFGHIJ"


@dataclass(frozen=True)
class Example:
    """One labeled question. ``choices`` (optional) are shown as lettered options."""

    question: str
    answer: str
    choices: tuple[str, ...] = ()

    def prompt(self) -> str:
        """The question as shown to the model, with lettered choices when there are any."""
        if not self.choices:
            return self.question
        options = "\n".join(f"({LETTERS[i]}) {c}" for i, c in enumerate(self.choices))
        return f"{self.question}\nOptions:\n{options}"

    def to_dict(self) -> dict:
        d: dict = {"question": self.question, "answer": self.answer}
        if self.choices:
            d["choices"] = list(self.choices)
        return d


def _example(record: object, where: str) -> Example:
    if not isinstance(record, dict):
        raise ValueError(f"{where}: expected a JSON object with 'question' and 'answer'")
    missing = [k for k in ("question", "answer") if k not in record]
    if missing:
        raise ValueError(f"{where}: missing field(s) {', '.join(missing)}")
    choices = record.get("choices") or ()
    if not isinstance(choices, list | tuple) or len(choices) > len(LETTERS):
        raise ValueError(f"{where}: 'choices' must be a list of at most {len(LETTERS)} strings")
    question = str(record["question"]).strip()
    if not question:
        raise ValueError(f"{where}: the question is empty")
    return Example(question, str(record["answer"]).strip(), tuple(str(c) for c in choices))


def load_jsonl(path: str | Path) -> list[Example]:
    """Read one ``{"question": ..., "answer": ..., "choices"?: [...]}`` object per line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"dataset not found: {path}")
    examples = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{number}: not valid JSON ({err.msg})") from None
            examples.append(_example(record, f"{path}:{number}"))
    if not examples:
        raise ValueError(f"{path}: the dataset has no examples")
    return examples


def save_jsonl(examples: Sequence[Example], path: str | Path) -> Path:
    path = Path(path)
    with open(path, "w", encoding="utf-8") as f:
        for ex in examples:
            f.write(json.dumps(ex.to_dict(), ensure_ascii=False) + "\n")
    return path


def _count(size: float, n: int) -> int:
    if isinstance(size, float) and 0 < size < 1:
        return round(size * n)
    if size < 0 or int(size) != size:
        raise ValueError(f"split sizes must be fractions in (0, 1) or whole counts, not {size}")
    return int(size)


def split(
    examples: Sequence[Example], sizes: Sequence[float], seed: int = 0
) -> list[list[Example]]:
    """Shuffle with ``seed`` and cut into parts of the given sizes (counts or fractions).

    The same examples, sizes and seed always give the same parts; the parts never overlap.
    """
    n = len(examples)
    counts = [_count(s, n) for s in sizes]
    if sum(counts) > n:
        raise ValueError(f"split sizes {counts} need {sum(counts)} examples, the dataset has {n}")
    order = list(range(n))
    random.Random(seed).shuffle(order)
    parts, start = [], 0
    for c in counts:
        parts.append([examples[i] for i in order[start : start + c]])
        start += c
    return parts
