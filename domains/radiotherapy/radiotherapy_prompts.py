"""Prompts of the radiotherapy workflow (data): the plan's role, constraints, format, examples."""

PLAN_ROLE = (
    "treatment plan hyperparameters for case {case}: the objectives of the fluence-map "
    "optimization (structure, kind, dose_gy, weight) that decide the dose to the target {target} "
    "and the organs at risk"
)

FORMAT_INSTRUCTIONS = (
    'Answer with the complete improved plan as JSON: {"objectives": [ {"structure": ..., "kind": '
    '..., "dose_gy": ..., "weight": ...}, ... ]}, one objective per line, and nothing else.'
)

CONSTRAINTS = (
    "Keep every objective's structure and kind; change only the numbers dose_gy and weight "
    "(and volume_pct for dvh objectives).",
    "Weights are between 0 and 1000; dose levels are in Gy between 0 and 1.5 times the "
    "prescription.",
    "Change a few numbers at a time, by a factor of about 1.5 to 3 for weights and a few Gy "
    "for dose levels, in the direction the feedback asks.",
)

# In-context example: a class solution a planner starts from, written for the current case
# (dose levels as fractions of its prescription; organ objectives for every organ at risk).
EXAMPLE_TARGET = (("squared_underdose", 1.02, 100), ("squared_overdose", 1.05, 40))
EXAMPLE_ORGAN = ("squared_overdose", 0.5, 10)
