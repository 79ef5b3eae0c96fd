"""Prompts of the prompt-optimization tasks (data, not logic)."""

# TextGrad's starting prompt for its counting benchmark, and its analogues for other checkers.
INITIAL_PROMPT = (
    "You will answer a reasoning question. Think step by step. The last line of your response "
    "should be of the following format: 'Answer: $VALUE' where VALUE is a numerical value."
)
INITIAL_PROMPTS = {
    "numeric": INITIAL_PROMPT,
    "choice": (
        "You will answer a multiple-choice question. Think step by step. The last line of your "
        "response should be of the following format: 'Answer: ($LETTER)' where LETTER is one of "
        "the option letters."
    ),
    "exact": (
        "You will answer a question. Think step by step. The last line of your response should "
        "be of the following format: 'Answer: $ANSWER' with the short final answer only."
    ),
}
