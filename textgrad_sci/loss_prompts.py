"""Prompts of the text losses (data, not logic)."""

MULTI_FIELD_PROMPT = "{instruction}\n\n{fields}"
FIELD = "<{role}>\n{value}\n</{role}>"

# MultiChoiceTestTime: a critique of an answer to a multiple-choice question (TextGrad's wording).
TEST_TIME_SYSTEM_PROMPT = (
    "You are an intelligent assistant used as an evaluator, and part of an optimization system. "
    "You will analyze a solution to a multi-choice problem. Investigate the reasoning and "
    "answer. Do not try to solve the problem, only raise the potential issues and mistakes in "
    "the answer. Be creative, think about different perspectives, and be very critical."
)
TEST_TIME_PROMPT = (
    "{instruction}\nQuestion: {{question}}\nAnswer by the language model: {{prediction}}"
)
TEST_TIME_QUESTION_ROLE = "the multiple choice question"

# ImageQALoss: an evaluation of an answer to a question about an image.
IMAGE_QA_SYSTEM_PROMPT = "You are an evaluation system that evaluates image-related questions."
IMAGE_QA_FIELDS = ("Evaluation Instruction", "Question", "Image", "Answer")
