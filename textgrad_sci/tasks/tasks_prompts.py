"""Instructions of TextGrad's tasks (data, not logic; TextGrad's wording)."""

NUMERIC_TASK = (
    "You will answer a reasoning question. Think step by step. The last line of your response "
    "should be of the following format: 'Answer: $VALUE' where VALUE is a numerical value."
)
GSM8K_TASK = (
    "You will answer a mathemetical reasoning question. Think step by step. The last line of "
    "your response should be of the following format: 'Answer: $VALUE' where VALUE is a "
    "numerical value."
)
EQUALITY_PURPOSE = (
    "The runtime of string-based function that checks if the prediction is correct."
)
BBH_ROLES = (
    "Question for the task",
    "Ground truth answer",
    "Reasoning and prediction from the language model",
)
BBH_EVALUATION = (
    "Below is a question from a question-answering task, the ground truth answer, and reasoning "
    "with the final prediction. Is the final prediction correct, i.e. the same as the ground "
    "truth answer? Say only 1 (yes) or 0 (no). Return your response within <ACCURACY> "
    "</ACCURACY> tags. e.g.<ACCURACY> 0 </ACCURACY> or <ACCURACY> 1 </ACCURACY>"
)
MULTICHOICE_QUERY = (
    "Answer the following multiple choice question. The last line of your response should be "
    "of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. "
    "Think step by step before answering.\n{question}\nA) {A}\nB) {B}\nC) {C}\nD) {D}"
)
MULTICHOICE_TASK = (
    "Given a multiple choice question, the goal is to select the correct final answer from the "
    "choices."
)
TEST_TIME_INSTRUCTION = (
    "Below is a multi-choice question and a prediction. You are an expert scientist. Your job "
    "is to investigate the prediction. Critically go through reasoning steps, and see if there "
    "is a reason why the prediction could be incorrect.\nUse the Janusian Process. Think about "
    "whether alternative answers could be true. Raise creative and critical objections to the "
    "solution, when needed."
)
LEETCODE_TASK = (
    "You will solve a hard coding problem from LeetCode. You will be given a prompt describing a "
    "problem. You need to write a function that passes all the tests."
)
