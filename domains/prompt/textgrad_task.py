"""``BBH_object_counting`` for :func:`textgrad_sci.tasks.load_task`, from this domain's seeded
generator (registered through the ``textgrad_sci.tasks`` entry point, so the core never imports
the domain). Splits as TextGrad's: 50 train, 100 validation, 100 test questions."""

from __future__ import annotations

from . import tasks_prompts as prompts
from .tasks import object_counting

SPLIT = (50, 100, 100)


def bbh_object_counting(
    seed: int = 0, sizes: tuple[int, int, int] = SPLIT
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]], str]:
    """``(train, val, test, task_description)``; each split a list of (question, answer)."""
    if len(sizes) != 3 or min(sizes) < 1:
        raise ValueError("sizes must be three positive counts (train, val, test)")
    pairs = [(ex.question, ex.answer) for ex in object_counting(sum(sizes), seed)]
    a, b = sizes[0], sizes[0] + sizes[1]
    return pairs[:a], pairs[a:b], pairs[b:], prompts.INITIAL_PROMPT
