"""The prompt-training loop on a scripted model whose accuracy depends on its prompt."""

import pytest
from prompt_support import FEEDBACK, counting_engine
from textgrad_sci.domains.prompt import PromptTrainer, TrainConfig, load_task

import textgrad_sci as tg

START = "Answer the question. End with 'Answer: N'."


def _task():
    return load_task("object-counting", n=24, sizes=(8, 8, 8), seed=2, initial_prompt=START)


def _all(task):
    return task.train + task.val + task.test


def test_minibatch_feedback_reaches_the_prompt_from_every_example():
    task = _task()
    engine, script = counting_engine(_all(task), ["GOOD prompt"])
    trainer = PromptTrainer(task, engine, TrainConfig(batch_size=4, progress=False))
    total, predictions, responses = trainer.forward(task.train[:4])
    assert len(predictions) == 4 and not any(p["correct"] for p in predictions)
    total.backward(engine)
    prompt = trainer.prompt
    names = {
        v.name
        for loss in total.predecessors
        for v in loss.predecessors
        if v.role_description == "the language model's response to the question"
    }
    assert names == {r.name for r in responses} and len(names) == 4
    sources = [ctx["source"] for ctx in prompt.gradients_context.values()]
    assert sorted(sources) == sorted(names)
    ordered = [prompt.gradients_context[g]["source"] for g in prompt.gradients]
    assert ordered == [r.name for r in responses]
    assert all(g.value == FEEDBACK for g in prompt.gradients)
    assert script.counts == {"forward": 4, "feedback": 8, "update": 0}


def test_validation_gate_reverts_a_worse_prompt(tmp_path):
    task = _task()
    engine, _ = counting_engine(_all(task), ["BAD prompt", "GOOD prompt"])
    trainer = PromptTrainer(
        task,
        engine,
        TrainConfig(epochs=1, batch_size=4, progress=False),
    )
    trainer.prompt.value = START + " GOOD"  # a perfect start: any BAD change lowers accuracy
    task.initial_prompt = trainer.prompt.value
    summary = trainer.fit(tg.Run(tmp_path / "run"))
    steps = tg.Run(tmp_path / "run").steps()
    assert steps[0]["reverted"] and not steps[0]["accepted"]
    assert steps[0]["candidate_val_accuracy"] == 0.0 and steps[0]["losses"]["val_accuracy"] == 1.0
    assert steps[0]["parameters"]["system_prompt"] == START + " GOOD"
    assert steps[1]["accepted"] and steps[1]["parameters"]["system_prompt"] == "GOOD prompt"
    assert summary["final"] == {"val": 1.0, "test": 1.0}


def test_end_to_end_epoch_improves_accuracy_and_records_everything(tmp_path):
    task = _task()
    engine, script = counting_engine(_all(task), ["GOOD: count every item"])
    trainer = PromptTrainer(task, engine, TrainConfig(epochs=2, batch_size=4, progress=False))
    run = tg.Run(tmp_path / "run", {"test": True}, engine)
    summary = trainer.fit(run)
    assert summary["initial"] == {"val": 0.0, "test": 0.0}
    assert [e["test"] for e in summary["epochs"]] == [1.0, 1.0]
    assert summary["epochs"][0]["accepted"] == 1 and summary["prompt"] == "GOOD: count every item"
    steps = run.steps()
    assert [s["step"] for s in steps] == [0, 1, 2, 3]
    first = steps[0]
    assert first["losses"] == {"train_accuracy": 0.0, "val_accuracy": 1.0}
    assert "test_accuracy" in steps[1]["losses"] and steps[1]["epoch"] == 1
    assert len(first["predictions"]) == 4 and first["updates"][0]["accepted"]
    prompt_node = next(n for n in first["graph"]["nodes"] if n["name"] == "system_prompt")
    assert len(prompt_node["feedback"]) == 4
    # minibatches are reshuffled per epoch, deterministically
    assert trainer.batch(0) == trainer.batch(0) and trainer.batch(0)[1] != trainer.batch(2)[1]


def test_resume_after_a_crash_continues_from_the_last_step(tmp_path):
    task = _task()
    config = TrainConfig(epochs=2, batch_size=4, progress=False)
    # baseline: 8 val + 8 test answers; step 0: 4 forward + 8 val; step 1 crashes mid-forward
    engine, _ = counting_engine(_all(task), ["prompt v1", "prompt v2"], fail_after=16 + 12 + 2)
    with pytest.raises(RuntimeError, match="simulated crash"):
        PromptTrainer(task, engine, config).fit(tg.Run(tmp_path / "run"))
    run = tg.Run(tmp_path / "run")
    assert [s["step"] for s in run.steps()] == [0]
    assert any(e["kind"] == "step_failed" for e in run.events())
    engine2, script2 = counting_engine(_all(task), ["GOOD v3"])
    trainer = PromptTrainer(task, engine2, config)
    summary = trainer.fit(run)
    assert [s["step"] for s in run.steps()] == [0, 1, 2, 3]
    assert run.steps()[1]["parameters"]["system_prompt"] == "GOOD v3"
    # the baseline was not recomputed and step 0 was not rerun: the prompt came back from step 0
    assert summary["initial"] == {"val": 0.0, "test": 0.0}
    # 3 steps, validation of v3, test of v3 (cached for epoch 2); the validation score of v1 came
    # back with the optimizer's state
    assert script2.counts["forward"] == 3 * 4 + 8 + 8
    assert run.meta["resumed"] == 1


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="loss must be"):
        TrainConfig(loss="mse")
    with pytest.raises(ValueError, match="at least 1"):
        TrainConfig(batch_size=0)


def test_critique_loss_sends_feedback_through_the_evaluator():
    task = _task()
    engine, script = counting_engine(_all(task), ["GOOD prompt"])
    trainer = PromptTrainer(
        task, engine, TrainConfig(batch_size=4, loss="critique", progress=False)
    )
    total, predictions, responses = trainer.forward(task.train[:4])
    assert all("miscounted" in loss.value for loss in total.predecessors)
    total.backward(engine)
    sources = sorted(ctx["source"] for ctx in trainer.prompt.gradients_context.values())
    assert sources == sorted(r.name for r in responses)
    # 4 answers + 4 critiques forward; feedback: 4 to the responses, 4 to the prompt
    assert script.counts == {"forward": 8, "feedback": 8, "update": 0}
