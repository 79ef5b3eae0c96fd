"""Answer refinement: majority vote, the refinement loop, multiple-choice validation, CLI."""

import threading

from textgrad_sci.domains.prompt import majority_vote, refine_answer

from textgrad_sci import ScriptedEngine
from textgrad_sci.llm_ops_prompts import BACKWARD_SYSTEM_PROMPT


def test_majority_vote_counts_ignores_none_and_breaks_ties_by_recency():
    assert majority_vote(["A", "B", "B", "C"]) == "B"
    assert majority_vote(["A", "B", None, None]) == "B"  # tie A/B: the later one wins
    assert majority_vote(["B", "A", "A", "B"]) == "B"
    assert majority_vote([None, None]) is None
    assert majority_vote([]) is None


def refine_script(updates):
    """Solver says (A); the critic objects; updates come from ``updates`` in order."""
    lock, seen = threading.Lock(), {"update": 0, "critique": 0}

    def respond(request):
        system = next((c for r, c in request.messages if r == "system"), "")
        if request.output is not None and request.output.tag:
            with lock:
                i = min(seen["update"], len(updates) - 1)
                seen["update"] += 1
            return f"<IMPROVED_VARIABLE>{updates[i]}</IMPROVED_VARIABLE>"
        if system == BACKWARD_SYSTEM_PROMPT:
            return "The answer ignores the second clue; reconsider (C)."
        if system.startswith("You will evaluate an answer"):
            with lock:
                seen["critique"] += 1
            return "The reasoning is wrong."
        assert system.startswith("You will answer a multiple-choice question")
        return "Clue one points to A.\nAnswer: (A)"

    return ScriptedEngine(respond), seen


def test_refinement_trajectory_and_majority_vote():
    engine, seen = refine_script(
        ["Clue two.\nAnswer: (C)", "Both clues.\nAnswer: (C)", "Hmm.\nAnswer: (B)"]
    )
    result = refine_answer("Which?", engine, choices=["x", "y", "z"], steps=3)
    assert result.votes == ["A", "C", "C", "B"]
    assert result.final == "C"
    assert seen["critique"] == 3 and len(result.reports) == 3


def test_invalid_multiple_choice_update_is_sent_back_and_rejected():
    engine, seen = refine_script(["I am not sure.", "Answer: (E)", "Fine.\nAnswer: (B)"])
    result = refine_answer("Which?", engine, choices=["x", "y", "z"], steps=2)
    first = result.reports[0]
    assert not first["accepted"] and first["attempts"] == 2
    assert "one of A, B, C" in first["errors"][0]
    assert result.votes == ["A", "A", "B"]
    assert result.final == "A"


def test_free_answer_votes_on_normalized_final_answer():
    engine = ScriptedEngine(
        lambda req: (
            "<IMPROVED_VARIABLE>So.\nAnswer: Paris.</IMPROVED_VARIABLE>"
            if req.output is not None
            else "feedback"
        )
    )
    result = refine_answer("Capital of France?", engine, initial_answer="Answer: Lyon", steps=2)
    assert result.votes == ["lyon", "paris", "paris"] and result.final == "paris"
