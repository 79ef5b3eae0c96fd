"""A short run of each workflow on the real embedded model (small token limits)."""

import pytest
from textgrad_sci.domains.prompt import PromptTrainer, TrainConfig, load_task, refine_answer

import textgrad_sci as tg

pytestmark = pytest.mark.local_model


def test_one_epoch_on_the_local_model(tmp_path):
    task = load_task("object-counting", n=10, sizes=(2, 1, 0), seed=0)
    engine = tg.get_engine("local")
    critic = tg.get_engine("local?max_tokens=32")
    config = TrainConfig(
        epochs=1, batch_size=2, max_tokens=48, update_max_tokens=40, max_retries=0, progress=False
    )
    trainer = PromptTrainer(task, engine, config, optimizer_engine=critic)
    run = tg.Run(tmp_path / "run")
    summary = trainer.fit(run)
    (line,) = run.steps()
    for p in line["predictions"]:  # the answer grammar makes every response checkable
        assert p["response"].splitlines()[-1].startswith("Answer: ")
    assert 0.0 <= line["losses"]["val_accuracy"] <= 1.0
    prompt_node = next(n for n in line["graph"]["nodes"] if n["name"] == "system_prompt")
    assert len(prompt_node["feedback"]) == 2
    update = line["updates"][0]
    assert update["attempts"] >= 1 and (update["accepted"] or update["reason"])
    assert summary["epochs"][0]["steps"] == 1


def test_refine_a_multiple_choice_answer_on_the_local_model():
    engine = tg.get_engine("local?max_tokens=32")
    result = refine_answer(
        "Which planet is closest to the Sun?",
        engine,
        choices=["Venus", "Mercury", "Mars"],
        steps=1,
        max_tokens=32,
    )
    assert len(result.trajectory) == 2
    assert result.votes[0] in ("A", "B", "C")  # the grammar forces a letter on the first answer
    assert result.final in ("A", "B", "C")
