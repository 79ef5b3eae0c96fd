"""Prompts of the code domain (data, not logic)."""

ROLE = "Python solution code to the problem (it is run against unit tests)"

CRITIQUE_SYSTEM = (
    "You are a careful Python reviewer. You receive a programming problem, a candidate solution "
    "and the results of running it against unit tests. Explain briefly why the failing tests fail "
    "and what exactly must change in the code. Do not write the whole solution."
)

CRITIQUE = (
    "<PROBLEM>\n{problem}\n</PROBLEM>\n"
    "<CODE>\n{code}\n</CODE>\n"
    "<TEST_RESULTS>\n{results}\n</TEST_RESULTS>\n"
    "What is wrong with the code, and how should it change so that every test passes?"
)

GENERATE_SYSTEM = "You are an expert Python programmer. You write correct, simple code."

GENERATE = (
    "Solve this problem in Python.\n<PROBLEM>\n{problem}\n</PROBLEM>\n"
    "The solution must define `{entry_point}`. Start from:\n<STARTER>\n{starter}\n</STARTER>\n"
    "Write the complete code between <CODE> and </CODE>, with nothing else between the tags."
)

CONSTRAINTS = [
    "The answer is complete, runnable Python code: no explanations or Markdown fences inside "
    "the tags.",
    "Keep the name and signature of `{entry_point}`.",
    "Use only the Python standard library; do not read input or print the answer.",
]
