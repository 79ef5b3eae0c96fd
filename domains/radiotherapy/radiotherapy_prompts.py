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

# In-context examples: plans a planner tuned by hand, per case (the optimizer sees them as
# examples of good values; they are not the answer for the current case).
EXAMPLE_PLANS = {
    "prostate": (
        '{"objectives": [\n'
        '  {"structure": "PTV", "kind": "squared_underdose", "dose_gy": 71, "weight": 300},\n'
        '  {"structure": "PTV", "kind": "squared_overdose", "dose_gy": 73, "weight": 100},\n'
        '  {"structure": "RECTUM", "kind": "dvh_max", "dose_gy": 50, "weight": 30, '
        '"volume_pct": 30},\n'
        '  {"structure": "BLADDER", "kind": "dvh_max", "dose_gy": 60, "weight": 10, '
        '"volume_pct": 25},\n'
        '  {"structure": "FEMUR_L", "kind": "max_dose", "dose_gy": 40, "weight": 5},\n'
        '  {"structure": "FEMUR_R", "kind": "max_dose", "dose_gy": 40, "weight": 5}\n]}'
    ),
    "tg119_cshape": (
        '{"objectives": [\n'
        '  {"structure": "PTV", "kind": "squared_underdose", "dose_gy": 51, "weight": 300},\n'
        '  {"structure": "PTV", "kind": "squared_overdose", "dose_gy": 53, "weight": 80},\n'
        '  {"structure": "CORE", "kind": "squared_overdose", "dose_gy": 15, "weight": 40}\n]}'
    ),
}
