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

# -- the Reflexion-style baseline (the model reflects on its own test results, then rewrites) ---
REFLECT_SYSTEM = (
    "You are a Python programmer reviewing your own solution. You receive the problem, your "
    "code and the results of its unit tests. In a few sentences, say why your code fails the "
    "failing tests and what you will change. Do not write code."
)

REFLECT = (
    "<PROBLEM>\n{problem}\n</PROBLEM>\n"
    "<YOUR_CODE>\n{code}\n</YOUR_CODE>\n"
    "<TEST_RESULTS>\n{results}\n</TEST_RESULTS>\n"
    "Why does your code fail, and what will you change?"
)

REWRITE_SYSTEM = (
    "You are an expert Python programmer. You rewrite your solution using your own reflections "
    "on why it failed its tests."
)

# As TGD's update, the rewrite sees the code, its test results and the reflection (which saw the
# problem), not the statement again: the same information, and a short prompt for a small model.
REWRITE = (
    "Improve your Python solution to a programming problem.\n"
    "{memory}"
    "Your latest code:\n<YOUR_CODE>\n{code}\n</YOUR_CODE>\n"
    "Its test results:\n<TEST_RESULTS>\n{results}\n</TEST_RESULTS>\n"
    "Your reflection on it:\n<REFLECTION>\n{reflection}\n</REFLECTION>\n"
    "The solution must define `{entry_point}`. Write the complete improved code between <CODE> "
    "and </CODE>, with nothing else between the tags."
)

REWRITE_MEMORY = "Your earlier attempts and reflections, oldest first:\n{entries}\n"
REWRITE_MEMORY_ENTRY = "<ATTEMPT>\n{code}\n</ATTEMPT>\n<REFLECTION>\n{reflection}\n</REFLECTION>"
