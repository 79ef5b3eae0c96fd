"""Prompts of test-time answer refinement (data, not logic)."""

ANSWER_ROLE = "concise and accurate answer to the question"

SOLVER_PROMPT = (
    "You will answer a question. Think step by step, briefly. The last line of your response "
    "should be of the following format: 'Answer: $ANSWER'."
)
CHOICE_SOLVER_PROMPT = (
    "You will answer a multiple-choice question. Think step by step, briefly. The last line of "
    "your response should be of the following format: 'Answer: ($LETTER)' where LETTER is one "
    "of {letters}."
)

CRITIQUE_PROMPT = (
    "You will evaluate an answer to the question below. Do not attempt to solve the question "
    "yourself and do not give a new answer; only identify errors in the answer's reasoning or "
    "conclusion. Be very concise.\n<QUESTION>{question}</QUESTION>"
)

CONSTRAINTS = ("The answer must keep a last line of the form 'Answer: ...'.",)
CHOICE_CONSTRAINT = "The last line must be 'Answer: (X)' where X is one of {letters}."
