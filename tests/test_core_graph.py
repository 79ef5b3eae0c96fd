"""The backward pass: order, feedback reaching every input, concurrency, skipped branches."""

from __future__ import annotations

import threading
import time

import pytest
from core_support import ConcurrencyProbe, kind_of, responder

import textgrad_sci as tg
from textgrad_sci.function import Function
from textgrad_sci.graph import topological_order


class Recorder(Function):
    """A function whose backward logs its output's name and passes feedback on unchanged."""

    def __init__(self, log: list[str], lock: threading.Lock):
        self.log, self.lock = log, lock

    def forward(self, *inputs: tg.Variable, name: str) -> tg.Variable:
        def backward(out: tg.Variable, _engine) -> None:
            with self.lock:
                self.log.append(out.name)
            for x in inputs:
                x.add_gradient(f"from {out.name}", source=out.name)

        out = self.make_output("node", inputs, backward, lambda: "+".join(x.value for x in inputs))
        out.name = name
        return out


def test_topological_order_puts_predecessors_first():
    a = tg.Variable("a", "input", name="a")
    b = tg.Variable("b", "input", name="b")
    log, lock = [], threading.Lock()
    c = Recorder(log, lock)(a, b, name="c")
    d = Recorder(log, lock)(c, a, name="d")
    order = [v.name for v in topological_order(d)]
    assert order[-1] == "d"
    assert order.index("c") < order.index("d")
    assert order.index("a") < order.index("c") and order.index("b") < order.index("c")
    assert len(order) == len(set(order)) == 4


def test_each_backward_runs_once_after_all_successors():
    # Diamond: x -> (l, r) -> top; l and r both feed top, x feeds l and r.
    log, lock = [], threading.Lock()
    fn = Recorder(log, lock)
    x = tg.Variable("x", "input", name="x")
    left = fn(x, name="left")
    right = fn(x, name="right")
    mid = fn(left, right, name="mid")
    top = fn(mid, left, name="top")
    top.backward(concurrency=4)
    assert sorted(log) == ["left", "mid", "right", "top"]
    assert log[0] == "top" and log[1] == "mid"  # left waits for both top and mid
    assert log.index("left") > log.index("mid")
    # x got feedback once from each of its two successors
    assert sorted(g.value for g in x.gradients) == ["from left", "from right"]


def test_feedback_reaches_every_input_through_chain_and_sum_once():
    engine = tg.ScriptedEngine(responder())
    prompt = tg.Variable("Answer briefly.", "system prompt", requires_grad=True, name="prompt")
    model = tg.BlackboxLLM(engine, prompt)
    questions = [tg.Variable(f"q{i}", "question", requires_grad=False) for i in range(3)]
    answers = model.batch(questions)
    losses = tg.TextLoss("Evaluate.", engine=engine).batch(answers)
    total = tg.sum(losses)
    total.backward(engine)
    for answer in answers:
        # exactly one piece of feedback per answer (from its own loss); no double counting
        assert len(answer.gradients) == 1
    sources = sorted(ctx["source"] for ctx in prompt.gradients_context.values())
    assert sources == sorted(a.name for a in answers)
    # the sum is the objective itself: it has no feedback of its own to pass to the losses
    assert all(loss.gradients == [] for loss in losses)


def test_sum_forwards_feedback_to_each_part_once():
    parts = [tg.Variable(f"p{i}", "part") for i in range(3)]
    total = tg.sum(parts + [parts[0]])  # a repeated input is counted once
    total.add_gradient("too long", source="critic")
    total.grad_fn(None)
    for part in parts:
        assert [g.value for g in part.gradients] == ["too long"]


def test_aggregate_feedback_reaches_every_input_with_its_part():
    a = tg.Variable("alpha", "hypothesis")
    b = tg.Variable("beta", "evidence")
    c = tg.Variable("gamma", "fixed context", requires_grad=False)
    agg = tg.aggregate([a, b, c])
    assert "<hypothesis>" in agg.value and "<evidence>" in agg.value
    agg.add_gradient("inconsistent", source="judge")
    agg.grad_fn(None)
    assert [g.value for g in a.gradients] == ["inconsistent"]
    assert [g.value for g in b.gradients] == ["inconsistent"]
    assert c.gradients == []
    assert a.gradients_context[a.gradients[0]]["part"] == "1 of 3"
    assert b.gradients_context[b.gradients[0]]["part"] == "2 of 3"


def test_independent_branches_run_concurrently():
    probe = ConcurrencyProbe(responder(), latency=0.15)
    engine = tg.ScriptedEngine(probe)
    xs = [tg.Variable(f"x{i}", "draft") for i in range(8)]
    loss = tg.sum(tg.TextLoss("Evaluate.", engine=engine).batch(xs))
    probe.peak = 0
    started = time.perf_counter()
    loss.backward(engine, concurrency=8)
    elapsed = time.perf_counter() - started
    assert all(len(x.gradients) == 1 for x in xs)
    assert probe.peak >= 4, f"peak concurrency {probe.peak}"
    assert elapsed < 8 * 0.15 / 2, f"backward took {elapsed:.2f}s, serial would be {8 * 0.15:.2f}s"


def test_concurrency_one_is_serial():
    probe = ConcurrencyProbe(responder(), latency=0.01)
    engine = tg.ScriptedEngine(probe)
    xs = [tg.Variable(f"x{i}", "draft") for i in range(4)]
    loss = tg.sum([tg.TextLoss("Evaluate.", engine=engine)(x) for x in xs])
    probe.peak = 0
    tg.set_concurrency(1)
    try:
        loss.backward(engine)
    finally:
        tg.set_concurrency(16)
    assert probe.peak == 1


def test_no_calls_for_branches_without_trainable_inputs():
    engine = tg.ScriptedEngine(responder())
    question = tg.Variable("q", "question", requires_grad=False)
    answer = tg.BlackboxLLM(engine)(question)  # system prompt is fixed, question is fixed
    loss = tg.TextLoss("Evaluate.", engine=engine)(answer)
    engine.requests.clear()
    loss.backward(engine)
    kinds = [kind_of(r) for r in engine.requests]
    assert kinds == ["backward"]  # feedback to the answer only; nothing sent to fixed inputs
    assert question.gradients == []


def test_chain_feedback_includes_downstream_feedback():
    engine = tg.ScriptedEngine(responder(backward=lambda r: "FB:" + r.messages[-1][1][-40:]))
    prompt = tg.Variable("sys", "system prompt", requires_grad=True)
    answer = tg.BlackboxLLM(engine, prompt)(tg.Variable("q", "question", requires_grad=False))
    loss = tg.TextLoss("Evaluate.", engine=engine)(answer)
    loss.backward(engine)
    to_prompt = [r for r in engine.requests if kind_of(r) == "backward"][-1].messages[-1][1]
    assert "<FEEDBACK>" + answer.get_gradient_text() + "</FEEDBACK>" in to_prompt
    assert len(prompt.gradients) == 1


def test_string_based_function_and_multifield_evaluation():
    engine = tg.ScriptedEngine(responder())
    prediction = tg.Variable("41", "prediction")
    truth = tg.Variable("42", "ground truth", requires_grad=False)
    check = tg.StringBasedFunction(
        lambda prediction, truth: int(prediction.value == truth.value), "exact match", engine=engine
    )
    result = check({"prediction": prediction, "truth": truth})
    assert result.value == "0"
    result.backward(engine)
    assert len(prediction.gradients) == 1 and truth.gradients == []

    evaluation = tg.MultiFieldEvaluation(
        "Is the prediction right? {not a field}", ["prediction", "ground truth"], engine=engine
    )
    other = tg.Variable("40", "prediction")
    loss = evaluation([other, truth])
    sent = engine.requests[-1].messages[-1][1]
    assert "<prediction>\n40\n</prediction>" in sent and "{not a field}" in sent
    loss.backward(engine)
    assert len(other.gradients) == 1 and truth.gradients == []
    with pytest.raises(ValueError, match="expects 2 inputs"):
        evaluation([other])


def test_usage_is_attributed_to_nodes():
    engine = tg.ScriptedEngine(responder())
    x = tg.Variable("draft", "draft", name="draft")
    loss = tg.TextLoss("Evaluate.", engine=engine)(x)
    loss.backward(engine)
    by_node = engine.usage.snapshot()["by_node"]
    assert by_node[loss.name]["calls"] == 2  # its forward evaluation and its backward
    assert engine.usage.snapshot()["total"]["calls"] == 2


def test_feedback_order_does_not_depend_on_which_branch_finishes_first():
    import random

    def slow_backward(request):
        time.sleep(random.random() * 0.05)
        return "feedback on " + request.messages[-1][1].split("<LM_INPUT>")[1].split("<")[0]

    engine = tg.ScriptedEngine(responder(backward=slow_backward))
    prompt = tg.Variable("sys", "system prompt", requires_grad=True)
    model = tg.BlackboxLLM(engine, prompt)
    questions = [tg.Variable(f"q{i}", "question", requires_grad=False) for i in range(6)]
    loss = tg.sum(tg.TextLoss("Evaluate.", engine=engine).batch(model.batch(questions)))
    loss.backward(engine, concurrency=6)
    inputs = [g.value.rsplit(" ", 1)[-1] for g in prompt.gradients]
    assert inputs == [f"q{i}" for i in range(6)]  # minibatch order, whatever the timing


def test_backward_sampling_settings_reach_every_feedback_call():
    engine = tg.ScriptedEngine(responder())
    prompt = tg.Variable("sys", "system prompt", requires_grad=True)
    answer = tg.BlackboxLLM(engine, prompt)(tg.Variable("q", "question", requires_grad=False))
    loss = tg.TextLoss("Evaluate.", engine=engine)(answer)
    loss.backward(engine, max_tokens=7, temperature=0.3)
    feedback_calls = [r for r in engine.requests if kind_of(r) == "backward"]
    assert len(feedback_calls) == 2
    assert all(r.max_tokens == 7 and r.temperature == 0.3 for r in feedback_calls)
    assert all(r.max_tokens is None for r in engine.requests if kind_of(r) == "forward")
