"""Wording of `sum`, `aggregate` and `+` (TextGrad's, so ported prompts read the same)."""

SUM_ROLE = "a combination of the following: {roles}"
AGGREGATE_ROLE = "a combination of the following variables: {roles}."
ADD_ROLE = "{left} and {right}"
# Kept in each part's feedback context (the feedback text itself is passed on unchanged, once).
COMBINED_FEEDBACK = (
    "Here is the combined feedback we got for this specific {role} and other variables"
)
