"""TextGrad's ``textgrad.tasks``: ``load_task``, ``load_instance_task``, ``Dataset``,
``DataLoader``. Nothing downloads: ``BBH_object_counting`` comes from the prompt domain's seeded
generator (through the ``textgrad_sci.tasks`` entry point) unless BIG-Bench-Hard's own file is
in the data folder; the other tasks read files you put in ``$TEXTGRAD_SCI_DATA`` (or ``root=``)
and say which file they need when it is missing."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from . import tasks_prompts as prompts
from .base import DataLoader, Dataset, ListDataset
from .files import (
    DATA_ENV_VAR,
    TaskDataMissing,
    bbh_splits,
    data_root,
    gpqa_rows,
    gsm8k_dspy_splits,
    leetcode_hard,
    mmlu_rows,
)
from .metrics import eval_string_based, parse_integer_answer, string_based_equality_fn
from .registry import ENTRY_POINT_GROUP, provided_tasks, register_task, task_provider

if TYPE_CHECKING:
    from ..engines.base import Engine

AVAILABLE_DATASETS = ["BBH_object_counting", "BBH_<task>", "GSM8K_DSPy"]
AVAILABLE_INSTANCE_DATASETS = ["MMLU_<subset>", "GPQA_diamond", "LeetCodeHardEval"]


def _datasets(name: str, splits: tuple, description: str) -> tuple[ListDataset, ...]:
    return tuple(
        ListDataset(items, description, f"{name}:{part}")
        for items, part in zip(splits, ("train", "val", "test"), strict=True)
    )


def _equality_fn():
    from ..llm_ops import StringBasedFunction

    return StringBasedFunction(string_based_equality_fn, function_purpose=prompts.EQUALITY_PURPOSE)


def _object_counting(root: str | os.PathLike | None, kwargs: dict) -> tuple:
    base = data_root(root)
    if base is not None and (base / "bbh/object_counting.json").is_file():
        return _datasets("BBH_object_counting", bbh_splits("object_counting", root),
                         prompts.NUMERIC_TASK)  # fmt: skip
    provider = task_provider("BBH_object_counting")
    if provider is None:
        raise TaskDataMissing(
            "BBH_object_counting has no provider: reinstall textgrad-sci (pip install -e .) so "
            f"that its '{ENTRY_POINT_GROUP}' entry points are registered, or put "
            f"BIG-Bench-Hard's bbh/object_counting.json under ${DATA_ENV_VAR}"
        )
    train, val, test, description = provider(**kwargs)
    return _datasets("BBH_object_counting", (train, val, test), description)


def load_task(
    task_name: str,
    evaluation_api: Engine | str | None = None,
    *args: Any,
    root: str | os.PathLike | None = None,
    **kwargs: Any,
) -> tuple[ListDataset, ListDataset, ListDataset, Any]:
    """``train_set, val_set, test_set, eval_fn`` for ``task_name``: ``BBH_object_counting``
    (``kwargs`` go to the generator, e.g. ``seed=1``), ``BBH_<task>``, ``GSM8K_DSPy``."""
    if args:
        raise TypeError("load_task takes the task name and evaluation_api only as positionals")
    if "object_counting" in task_name:
        return (*_object_counting(root, kwargs), _equality_fn())
    if task_name.startswith("BBH_"):
        from ..loss import MultiFieldTokenParsedEvaluation
        from ..variable import Variable

        sets = _datasets(task_name, bbh_splits(task_name[4:], root), prompts.NUMERIC_TASK)
        instruction = Variable(
            prompts.BBH_EVALUATION, "evaluation instruction for the task", requires_grad=False
        )
        eval_fn = MultiFieldTokenParsedEvaluation(
            instruction,
            list(prompts.BBH_ROLES),
            engine=evaluation_api,
            parse_tags=["<ACCURACY>", "</ACCURACY>"],
        )
        return (*sets, eval_fn)
    if task_name == "GSM8K_DSPy":
        sets = _datasets(task_name, gsm8k_dspy_splits(root), prompts.GSM8K_TASK)
        return (*sets, _equality_fn())
    hint = (
        "; use load_instance_task for it"
        if task_name.startswith(("MMLU_", "GPQA")) or task_name == "LeetCodeHardEval"
        else f" (tasks: {', '.join(AVAILABLE_DATASETS)})"
    )
    raise ValueError(f"Task {task_name} not found{hint}")


class InstanceDataset(ListDataset):
    """Multiple-choice questions for test-time optimization: each item is
    ``(question, answer, test_time_objective, eval_fn)``, as in TextGrad."""

    def __init__(self, rows: list[tuple[str, str]], evaluation_api: Any, name: str):
        super().__init__(rows, prompts.MULTICHOICE_TASK, name)
        self.evaluation_api = evaluation_api

    def __getitem__(self, index: int) -> tuple:
        from ..loss import MultiChoiceTestTime

        question, answer = self.items[index]
        loss = MultiChoiceTestTime(prompts.TEST_TIME_INSTRUCTION, engine=self.evaluation_api)

        def test_time_objective(instance: Any) -> Any:
            return loss(question, instance)

        def eval_fn(response: Any) -> float:
            return eval_string_based(str(response.value), answer)

        return question, answer, test_time_objective, eval_fn


class LeetCodeHardEval(ListDataset):
    """LeetCode Hard problems: ``(task_id, prompt, tests)``."""

    def __init__(self, root: str | os.PathLike | None = None):
        super().__init__(leetcode_hard(root), prompts.LEETCODE_TASK, "LeetCodeHardEval")


def load_instance_task(
    task_name: str,
    evaluation_api: Engine | str | None = None,
    *args: Any,
    root: str | os.PathLike | None = None,
    **kwargs: Any,
) -> ListDataset:
    """``MMLU_<subset>``, ``GPQA_diamond`` (or ``_main``/``_extended``), ``LeetCodeHardEval``."""
    if task_name.startswith("MMLU_"):
        return InstanceDataset(mmlu_rows(task_name[5:], root), evaluation_api, task_name)
    if task_name.startswith("GPQA_"):
        subset = task_name[5:].lower()
        return InstanceDataset(gpqa_rows(subset, root), evaluation_api, task_name)
    if task_name == "LeetCodeHardEval":
        return LeetCodeHardEval(root)
    raise ValueError(
        f"Instance task {task_name} not found (tasks: {', '.join(AVAILABLE_INSTANCE_DATASETS)})"
    )


__all__ = [
    "AVAILABLE_DATASETS",
    "AVAILABLE_INSTANCE_DATASETS",
    "DATA_ENV_VAR",
    "DataLoader",
    "Dataset",
    "InstanceDataset",
    "LeetCodeHardEval",
    "ListDataset",
    "TaskDataMissing",
    "load_instance_task",
    "load_task",
    "parse_integer_answer",
    "provided_tasks",
    "register_task",
    "string_based_equality_fn",
]
