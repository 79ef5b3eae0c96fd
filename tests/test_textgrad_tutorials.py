"""The steps of TextGrad's four tutorials (Primitives, Solution Optimization, Prompt
Optimization, Test-Time Loss for Code), retold here with ``import textgrad_sci as tg`` and a
scripted ``EngineLM`` in place of GPT-4o; every call the tutorials make is made."""

from __future__ import annotations

import concurrent.futures
import random
import re

import numpy as np
import pytest
from textgrad_support import ScriptedLM

import textgrad_sci as tg


def test_get_engine_resolves_the_tutorials_model_names(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-tutorial-key-1234")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    from textgrad_sci.engine import get_engine

    for name in ("gpt-3.5-turbo", "gpt-4o", "gpt-3.5-turbo-0125"):
        engine = get_engine(name)
        assert type(engine).__name__ == "ChatOpenAI" and engine.model_string == name
    assert tg.get_engine(engine_name="gpt-4o").is_multimodal


def test_tutorial_primitives():
    from textgrad_sci import Variable
    from textgrad_sci.loss import TextLoss
    from textgrad_sci.optimizer import TextualGradientDescent

    x = Variable("A sntence with a typo", role_description="The input sentence", requires_grad=True)
    assert x.gradients == set()
    engine = ScriptedLM(
        forward=lambda prompt, system: (
            "I'm fine, thanks." if system is None or "helpful" in system
            else "The sentence has a typo: 'sntence' should be 'sentence'."
        ),
        backward="Fix the spelling of 'sntence'.",
        update="A sentence with a typo",
    )
    assert engine.generate("Hello how are you?") == "I'm fine, thanks."
    system_prompt = Variable(
        "Evaluate the correctness of this sentence", role_description="The system prompt"
    )
    loss = TextLoss(system_prompt, engine=engine)
    optimizer = TextualGradientDescent(parameters=[x], engine=engine)
    l = loss(x)  # noqa: E741 (the tutorial's name)
    assert "typo" in l.value
    l.backward(engine)
    assert [g.value for g in x.gradients] == ["Fix the spelling of 'sntence'."]
    optimizer.step()
    assert x.value == "A sentence with a typo"
    optimizer.zero_grad()
    assert len(x.gradients) == 0


def test_tutorial_solution_optimization():
    corrected = "x = (7 ± √25) / 6, so x1 = 2 and x2 = 1/3"
    engine = ScriptedLM(
        forward="The discriminant is wrong: b^2 - 4ac = 49 - 24 = 25, not 73.",
        backward="Recompute the discriminant as 49 - 24 = 25 and divide by 6.",
        update=corrected,
    )
    tg.set_backward_engine(engine)
    initial_solution = (
        "To solve the equation 3x^2 - 7x + 2 = 0, we use the quadratic formula:\n"
        "x = (-b ± √(b^2 - 4ac)) / 2a\na = 3, b = -7, c = 2\n"
        "x = (7 ± √((-7)^2 + 4(3)(2))) / 6\nx = (7 ± √73) / 6\n"
        "The solutions are:\nx1 = (7 + √73)\nx2 = (7 - √73)"
    )
    solution = tg.Variable(
        initial_solution, requires_grad=True, role_description="solution to the math question"
    )
    loss_system_prompt = tg.Variable(
        "You will evaluate a solution to a math question. Do not attempt to solve it yourself, "
        "do not give a solution, only identify errors. Be super concise.",
        requires_grad=False,
        role_description="system prompt",
    )
    loss_fn = tg.TextLoss(loss_system_prompt)
    optimizer = tg.TGD([solution])
    loss = loss_fn(solution)
    assert "discriminant" in repr(loss)
    loss.backward()
    optimizer.step()
    assert solution.value == corrected
    assert engine.kinds() == ["forward", "backward", "update"]


HINT = "Count every item of the asked category, one by one."


def test_tutorial_prompt_optimization():
    from textgrad_sci.tasks import load_task

    def set_seed(seed):
        np.random.seed(seed)
        random.seed(seed)

    set_seed(12)
    answers: dict[str, str] = {}

    def student(prompt: str, system: str | None) -> str:
        # right only once the system prompt carries the hint the optimizer adds
        if system and HINT in system:
            return f"Counting one by one.\nAnswer: {answers[prompt]}"
        return "Answer: 0"

    llm_api_eval = ScriptedLM(
        backward="Tell the model to count each item of the asked category.",
        update=lambda prompt: re.search(r"<VARIABLE>(.*?)</VARIABLE>", prompt, re.S).group(1)
        + " " + HINT,
    )
    llm_api_test = ScriptedLM(forward=student)
    tg.set_backward_engine(llm_api_eval, override=True)
    train_set, val_set, test_set, eval_fn = load_task(
        "BBH_object_counting", evaluation_api=llm_api_eval
    )
    assert (len(train_set), len(val_set), len(test_set)) == (50, 100, 100)
    for dataset in (train_set, val_set, test_set):
        answers.update(dict(dataset.items))
    STARTING_SYSTEM_PROMPT = train_set.get_task_description()  # noqa: N806
    assert "Answer: $VALUE" in STARTING_SYSTEM_PROMPT

    def eval_sample(item, eval_fn, model):
        x, y = item
        x = tg.Variable(x, requires_grad=False, role_description="query to the language model")
        y = tg.Variable(y, requires_grad=False, role_description="correct answer for the query")
        response = model(x)
        eval_output_variable = eval_fn(inputs=dict(prediction=response, ground_truth_answer=y))
        return int(eval_output_variable.value)

    def eval_dataset(test_set, eval_fn, model, max_samples=None):
        max_samples = len(test_set) if max_samples is None else max_samples
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
            futures = []
            for sample in test_set:
                futures.append(executor.submit(eval_sample, sample, eval_fn, model))
                if len(futures) >= max_samples:
                    break
            return [f.result() for f in concurrent.futures.as_completed(futures)]

    def run_validation_revert(system_prompt, results, model, eval_fn, val_set):
        val_performance = np.mean(eval_dataset(val_set, eval_fn, model))
        previous_performance = np.mean(results["validation_acc"][-1])
        if val_performance < previous_performance:
            system_prompt.set_value(results["prompt"][-1])
            val_performance = previous_performance
        results["validation_acc"].append(val_performance)

    train_loader = tg.tasks.DataLoader(train_set, batch_size=3, shuffle=True)
    system_prompt = tg.Variable(
        STARTING_SYSTEM_PROMPT,
        requires_grad=True,
        role_description="structured system prompt to a somewhat capable language model that "
        "specifies the behavior and strategies for the QA task",
    )
    model = tg.BlackboxLLM(llm_api_test, system_prompt)
    optimizer = tg.TextualGradientDescent(engine=llm_api_eval, parameters=[system_prompt])
    results = {"test_acc": [], "prompt": [], "validation_acc": []}
    results["test_acc"].append(eval_dataset(test_set, eval_fn, model))
    results["validation_acc"].append(eval_dataset(val_set, eval_fn, model))
    results["prompt"].append(system_prompt.get_value())
    assert np.mean(results["test_acc"][0]) == 0.0

    for _epoch in range(1):
        for steps, (batch_x, batch_y) in enumerate(train_loader):
            assert len(batch_x) == len(batch_y) == 3
            optimizer.zero_grad()
            losses = []
            for x, y in zip(batch_x, batch_y, strict=True):
                x = tg.Variable(x, "query to the language model", requires_grad=False)
                y = tg.Variable(y, "correct answer for the query", requires_grad=False)
                response = model(x)
                losses.append(eval_fn(inputs=dict(prediction=response, ground_truth_answer=y)))
            total_loss = tg.sum(losses)
            total_loss.backward()
            optimizer.step()
            run_validation_revert(system_prompt, results, model, eval_fn, val_set)
            results["test_acc"].append(eval_dataset(test_set, eval_fn, model))
            results["prompt"].append(system_prompt.get_value())
            if steps == 1:
                break
    assert system_prompt.value.startswith(STARTING_SYSTEM_PROMPT) and HINT in system_prompt.value
    assert np.mean(results["test_acc"][-1]) == 1.0
    assert results["validation_acc"][-1] == 1.0


CANDIDATES = {
    "quadratic": '''
def longest_increasing_subsequence(nums):
    n = len(nums)
    dp = [1] * n
    for i in range(1, n):
        for j in range(i):
            if nums[i] > nums[j]:
                dp[i] = max(dp[i], dp[j] + 1)
    max_length = max(dp)
    lis = []
    for i in range(n - 1, -1, -1):
        if dp[i] == max_length:
            lis.append(nums[i])
            max_length -= 1
    return len(lis[::-1])
''',
    "bisect": '''
def longest_increasing_subsequence(nums):
    import bisect
    tails = []
    for x in nums:
        i = bisect.bisect_left(tails, x)
        if i == len(tails):
            tails.append(x)
        else:
            tails[i] = x
    return len(tails)
''',
}


def run_function_in_interpreter(func_code):
    """The tutorial's helper, in plain Python (its IPython version refuses to run)."""
    namespace: dict = {}
    exec(func_code, namespace)  # the scripted engine's own code, not a model's
    return namespace[func_code.split("def ")[1].split("(")[0].strip()]


def check_lis(fn):
    cases = [
        ([10, 22, 9, 33, 21, 50, 41, 60], 5), ([7, 2, 1, 3, 8, 4, 9, 6, 5], 4),
        ([5, 4, 3, 2, 1], 1), ([1, 2, 3, 4, 5], 5), ([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], 4),
        ([10, 9, 2, 5, 3, 7, 101, 18], 4),
        ([0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15], 6),
        ([7, 7, 7, 7, 7, 7, 7], 1), ([20, 25, 47, 35, 56, 68, 98, 101, 212, 301, 415, 500], 11),
        ([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], 1),
    ]  # fmt: skip
    for nums, expected in cases:
        assert fn(nums) == expected, (nums, expected)


def test_tutorial_test_time_loss_for_code():
    problem_text = (
        "Longest Increasing Subsequence (LIS)\n\nGiven a sequence of integers, find the length of "
        "the longest subsequence that is strictly increasing."
    )
    initial_solution = CANDIDATES["quadratic"]
    check_lis(run_function_in_interpreter(initial_solution))

    llm_engine = ScriptedLM(
        forward="The code is correct but runs in O(n^2); use binary search for O(n log n).",
        backward="Replace the double loop by patience sorting with bisect.",
        update=CANDIDATES["bisect"],
    )
    tg.set_backward_engine(llm_engine)
    code = tg.Variable(
        value=initial_solution, requires_grad=True, role_description="code instance to optimize"
    )
    problem = tg.Variable(problem_text, requires_grad=False, role_description="the coding problem")
    optimizer = tg.TGD(parameters=[code])

    loss_system_prompt = tg.Variable(
        "You are a smart language model that evaluates code snippets. You do not solve problems "
        "or propose new code snippets, only evaluate existing solutions critically and give very "
        "concise feedback.",
        requires_grad=False,
        role_description="system prompt to the loss function",
    )
    instruction = (
        "Think about the problem and the code snippet. Does the code solve the problem? "
        "What is the runtime complexity?"
    )
    format_string = "{instruction}\nProblem: {{problem}}\nCurrent Code: {{code}}"
    format_string = format_string.format(instruction=instruction)
    fields = {"problem": None, "code": None}
    formatted_llm_call = tg.autograd.FormattedLLMCall(
        engine=llm_engine,
        format_string=format_string,
        fields=fields,
        system_prompt=loss_system_prompt,
    )

    def loss_fn(problem: tg.Variable, code: tg.Variable) -> tg.Variable:
        inputs = {"problem": problem, "code": code}
        role = f"evaluation of the {code.get_role_description()}"
        return formatted_llm_call(inputs=inputs, response_role_description=role)

    loss = loss_fn(problem, code)
    assert "O(n^2)" in loss.value
    graph = loss.generate_graph()
    assert graph is not None
    loss.backward()
    assert "bisect" in repr(code.gradients) and len(code.gradients) == 1
    assert problem.gradients == set()  # it does not require grad
    optimizer.step()
    improved = run_function_in_interpreter(code.value)
    check_lis(improved)
    assert "bisect" in code.value

    optimizer.zero_grad()
    loss = loss_fn(problem, code)
    loss.backward()
    optimizer.step()
    check_lis(run_function_in_interpreter(code.value))
    assert llm_engine.kinds() == ["forward", "backward", "update"] * 2


def test_a_second_set_backward_engine_needs_override():
    tg.set_backward_engine(ScriptedLM())
    with pytest.raises(RuntimeError, match="override=True"):
        tg.set_backward_engine(ScriptedLM())
