"""Prompt optimization on a labeled dataset and test-time answer refinement.

``optimize_prompt`` trains a system prompt with validation-gated TGD steps; ``refine_answer``
optimizes one answer with a critique and picks the final one by majority vote.
"""

from .answer import AnswerRefinement, majority_vote, refine_answer
from .checkers import (
    CHECKERS,
    choice_match,
    exact_match,
    get_checker,
    numeric_match,
    parse_choice,
    parse_number,
)
from .data import Example, load_jsonl, save_jsonl, split
from .tasks import PromptTask, load_task, object_counting
from .training import PromptTrainer, TrainConfig

__all__ = [
    "CHECKERS",
    "Example",
    "AnswerRefinement",
    "PromptTask",
    "PromptTrainer",
    "TrainConfig",
    "choice_match",
    "exact_match",
    "get_checker",
    "load_jsonl",
    "load_task",
    "majority_vote",
    "numeric_match",
    "object_counting",
    "parse_choice",
    "parse_number",
    "refine_answer",
    "save_jsonl",
    "split",
]
