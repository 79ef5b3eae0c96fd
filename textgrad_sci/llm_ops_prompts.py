"""Prompts of the LLM functions' backward passes (data, not logic)."""

BACKWARD_SYSTEM_PROMPT = (
    "You are part of an optimization system that improves text (called variables) by giving "
    "critical feedback, like a gradient. You receive part of a computation and must explain how "
    "one variable should change so that the final result improves. Be specific and concise. "
    "Do not rewrite the variable yourself; give feedback only. "
    "If the variable is already good, say what must be kept."
)

CONVERSATION = (
    "A language model was called.\n"
    "<LM_SYSTEM_PROMPT>{system_prompt}</LM_SYSTEM_PROMPT>\n"
    "<LM_INPUT>{prompt}</LM_INPUT>\n"
    "<LM_OUTPUT>{response}</LM_OUTPUT>\n"
)

# The output is itself the objective (e.g. an evaluation): critique the input against it.
EVALUATION_FEEDBACK = (
    "{conversation}\n"
    "The output above is {response_role}; it is the objective of this optimization.\n"
    "Give feedback on this variable, {variable_role}, so that the objective improves:\n"
    "<VARIABLE>{variable}</VARIABLE>"
)

# The output already received feedback: pass it back to the input.
CHAIN_FEEDBACK = (
    "{conversation}\n"
    "The output above is {response_role}. It received this feedback:\n"
    "<FEEDBACK>{feedback}</FEEDBACK>\n"
    "Explain how this variable, {variable_role}, should change to address that feedback:\n"
    "<VARIABLE>{variable}</VARIABLE>"
)

FUNCTION_CALL = (
    "A Python function was called. Its purpose: {purpose}\n"
    "<INPUTS>{inputs}</INPUTS>\n"
    "<OUTPUT>{response}</OUTPUT>\n"
)

# A multimodal call: the inputs in order, images shown as <image n> and sent after the text.
MULTIMODAL_CONVERSATION = (
    "A multimodal language model was called.\n"
    "<LM_SYSTEM_PROMPT>{system_prompt}</LM_SYSTEM_PROMPT>\n"
    "<LM_INPUT>{prompt}</LM_INPUT>\n"
    "<LM_OUTPUT>{response}</LM_OUTPUT>\n"
    "The images of the input follow this text, in order.\n"
)
IMAGE_PLACEHOLDER = "<image {n}>"
ORDERED_FIELD = "{field}: {value}"
