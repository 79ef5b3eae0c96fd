"""Prompts of the prompt-training loop (data, not logic)."""

PROMPT_ROLE = "system prompt to a language model that answers questions of this task"
QUESTION_ROLE = "question to the language model"
ANSWER_ROLE = "correct answer to the question"
PREDICTION_ROLE = "the language model's response to the question"

CHECK_PURPOSE = (
    "The runtime of a function that checks whether the final answer in the prediction matches "
    "the correct answer."
)
CHECK_CORRECT = "Correct: the final answer {got} matches the correct answer {want}."
CHECK_WRONG = "Incorrect: the final answer {got} does not match the correct answer {want}."

CRITIQUE_INSTRUCTION = (
    "Below are a question, a language model's response, and the correct answer. Say whether the "
    "response's final answer is correct. If it is wrong, say briefly which reasoning error led "
    "to it. Do not solve the question again at length. Be concise."
)

# Rules every new system prompt must follow, stated to the optimizer.
CONSTRAINTS = (
    "The system prompt must be general instructions for the whole task: never mention a "
    "specific question or its answer.",
    "The system prompt must keep asking for a last line of the form 'Answer: ...'.",
)
