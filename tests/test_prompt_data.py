"""Datasets: JSONL loading, deterministic splits, the object-counting generator."""

import json
import re

import pytest
from textgrad_sci.domains.prompt import Example, load_jsonl, load_task, object_counting, split
from textgrad_sci.domains.prompt.tasks import CATEGORIES, NUMBER_WORDS, PLURALS


def test_split_is_deterministic_disjoint_and_sized():
    examples = [Example(f"q{i}", str(i)) for i in range(50)]
    a = split(examples, [10, 0.4, 20], seed=3)
    b = split(examples, [10, 0.4, 20], seed=3)
    assert a == b
    assert [len(p) for p in a] == [10, 20, 20]
    questions = [e.question for part in a for e in part]
    assert len(set(questions)) == 50
    assert split(examples, [10, 20, 20], seed=4)[0] != a[0]
    with pytest.raises(ValueError, match="need 60 examples"):
        split(examples, [30, 30], seed=0)


def test_jsonl_round_trip_and_clear_errors(tmp_path):
    path = tmp_path / "d.jsonl"
    rows = [
        {"question": "2+2?", "answer": 4},
        {"question": "Pick", "answer": "B", "choices": ["x", "y"]},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    loaded = load_jsonl(path)
    assert loaded[0] == Example("2+2?", "4")
    assert loaded[1].prompt() == "Pick\nOptions:\n(A) x\n(B) y"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "a", "answer": "b"}\n{"question": "c"}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2: missing field\(s\) answer"):
        load_jsonl(bad)
    bad.write_text('{"question": "a", "answer": "b"}\nnot json\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2: not valid JSON"):
        load_jsonl(bad)
    with pytest.raises(FileNotFoundError):
        load_jsonl(tmp_path / "missing.jsonl")


def _recount(question: str) -> int:
    """Count the items of the asked category independently of the generator's answer."""
    category = next(c for c in CATEGORIES if re.search(rf"\b{c}\b[^.]*\?$", question))
    names = {
        **{n: n for n in CATEGORIES[category]},
        **{PLURALS.get(n, n + "s"): n for n in CATEGORIES[category]},
    }
    listing = question.split(".")[0]
    total = 0
    for part in re.split(r", and |, ", listing):
        words = part.split()
        for k in range(len(words)):
            tail = " ".join(words[k:])
            if tail in names:
                head = words[k - 1]
                total += 1 if head in ("a", "an") else NUMBER_WORDS.index(head)
                break
    return total


def test_object_counting_is_seeded_varied_and_correct():
    a = object_counting(60, seed=7)
    assert a == object_counting(60, seed=7)
    assert a != object_counting(60, seed=8)
    assert len({e.question for e in a}) == 60
    assert len({e.question.split(" ")[0] for e in a}) >= 3  # varied openings
    assert len({e.question.rsplit(".", 1)[1].split()[0] for e in a}) >= 3  # varied questions
    for ex in a:
        assert int(ex.answer) == _recount(ex.question), ex.question


def test_load_task_builtin_and_dataset(tmp_path):
    task = load_task("object-counting", n=40, sizes=(10, 15, 15), seed=1)
    assert [len(task.train), len(task.val), len(task.test)] == [10, 15, 15]
    assert task.checker("Answer: 3", "3") and task.answer_spec is not None
    path = tmp_path / "qa.jsonl"
    path.write_text(
        "".join(json.dumps({"question": f"q{i}", "answer": "yes"}) + "\n" for i in range(10))
    )
    custom = load_task(dataset=path, sizes=(4, 3, 3), checker=lambda r, a: a in r)
    assert custom.answer_spec is None and custom.checker("yes!", "yes")
    mc = tmp_path / "mc.jsonl"
    mc.write_text(
        "".join(
            json.dumps({"question": f"q{i}", "answer": "B", "choices": ["x", "y"]}) + "\n"
            for i in range(6)
        )
    )
    choice_task = load_task(dataset=mc, sizes=(2, 2, 2))
    assert choice_task.checker("Answer: (B)", "B") and not choice_task.checker("(A)", "B")
    assert "(A) x" in choice_task.train[0].prompt() and "LETTER" in choice_task.initial_prompt
    with pytest.raises(ValueError, match="unknown task"):
        load_task("sorting")
    with pytest.raises(ValueError, match="either a task name or a dataset"):
        load_task()
