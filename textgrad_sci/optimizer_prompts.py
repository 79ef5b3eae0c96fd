"""Prompts of the textual gradient descent optimizer (data, not logic)."""

SYSTEM_PROMPT = (
    "You are the optimizer of a system that improves text (called variables). You receive a "
    "variable, its role, and feedback on it (a textual gradient). Write an improved version of the "
    "variable that addresses the feedback while keeping what already works. {format_instructions}"
)

UPDATE = (
    "The role of the variable: <ROLE>{role}</ROLE>\n"
    "Its current value:\n<VARIABLE>{value}</VARIABLE>\n"
    "Feedback on it:\n<FEEDBACK>{feedback}</FEEDBACK>\n"
    "{memory}{constraints}{examples}"
    "{format_instructions}"
)

MEMORY = (
    "Earlier values of this variable and the feedback each received, oldest first. Build on "
    "changes that helped and do not repeat changes that did not:\n"
    "<PAST_ITERATIONS>\n{entries}\n</PAST_ITERATIONS>\n"
)
MEMORY_ENTRY = "<VALUE>{value}</VALUE>\n<FEEDBACK>{feedback}</FEEDBACK>"

CONSTRAINTS = "Follow these constraints:\n<CONSTRAINTS>\n{items}\n</CONSTRAINTS>\n"
EXAMPLES = "Examples of good values:\n<EXAMPLES>\n{items}\n</EXAMPLES>\n"

RETRY = "Your answer could not be used: {error}. {format_instructions} Try again."

REJECTED = (
    "Your previous proposal was evaluated and rejected because it scored worse ({score_after:.4g} "
    "against {score_before:.4g}; {direction} is better). Do not propose it again:\n"
    "<REJECTED>{value}</REJECTED>\n"
)
