"""TextGrad's README example, with only the import changed (and a scripted engine instead of
GPT-4o, since tests run offline)."""

from __future__ import annotations

from core_support import responder


def test_textgrad_answer_refinement_example_runs_unchanged():
    import textgrad_sci as tg  # was: import textgrad as tg

    engine = tg.ScriptedEngine(
        responder(
            forward=lambda r: (
                "The answer is wrong: 18 shirts dry in parallel, so it still takes 1 hour."
                if r.messages[0][1].startswith("Below is a question")
                else "It takes 18 hours to dry 18 shirts."
            ),
            update="<IMPROVED_VARIABLE>It still takes 1 hour: shirts dry in parallel."
            "</IMPROVED_VARIABLE>",
        )
    )
    tg.set_backward_engine(engine, override=True)

    # Step 1: get an initial response from an LLM.
    model = tg.BlackboxLLM(engine)
    question_string = (
        "If it takes 1 hour to dry 25 shirts under the sun, "
        "how long will it take to dry 30 shirts under the sun? "
        "Reason step by step"
    )
    question = tg.Variable(
        question_string, role_description="question to the LLM", requires_grad=False
    )
    answer = model(question)
    answer.set_role_description("concise and accurate answer to the question")

    # Step 2: define the loss function and the optimizer, just like in PyTorch!
    optimizer = tg.TGD(parameters=[answer])
    evaluation_instruction = (
        f"Here's a question: {question_string}. "
        "Evaluate any given answer to this question, "
        "be smart, logical, and very critical. "
        "Just provide concise feedback."
    )
    loss_fn = tg.TextLoss(evaluation_instruction)
    loss_fn.system_prompt.value = "Below is a question. " + loss_fn.system_prompt.value

    # Step 3: do the loss computation, backward pass, and update the answer.
    loss = loss_fn(answer)
    loss.backward()
    optimizer.step()

    assert answer.value == "It still takes 1 hour: shirts dry in parallel."
    assert answer.gradients and "be more precise" in answer.get_gradient_text()
    assert engine.usage.snapshot()["total"]["calls"] == 4  # answer, loss, feedback, update
