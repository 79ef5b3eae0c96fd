"""Text of the plan-goal loss: how goal results are rendered and how feedback is phrased (data)."""

HEADER = (
    "Treatment plan for case {case}: {met} of {total} clinical goals met "
    "(prescription {rx:g} Gy)."
)
GOAL_MET = (
    "met     {label}: {actual:.1f} {unit}, goal {op} {value:.1f} {unit} (margin {margin} {unit})"
)
GOAL_MISSED = (
    "MISSED  {label}: {actual:.1f} {unit}, goal {op} {value:.1f} {unit} "
    "(misses by {shortfall} {unit})"
)
FAILED = "Treatment plan for case {case} could not be evaluated: {error}"
FMO_LINE = "Fluence optimization: {iterations} iterations ({method})."

FEEDBACK = (
    "Clinical goal evaluation of this plan (from the dose simulator):\n{report}\n\n"
    "What to change in the plan:\n{hints}"
)
FEEDBACK_FAILED = "The plan could not be evaluated: {error}. Fix the plan so that it can be used."

HINT_TARGET_COLD = (
    "- {label} is missed (target underdosed): push more dose into {structure}, e.g. {changes}."
)
HINT_TARGET_HOT = (
    "- {label} is missed (hot spot in the target): penalize high dose in {structure} more, "
    "e.g. {changes}."
)
HINT_OAR = (
    "- {label} is missed (organ at risk overdosed): penalize dose in {structure} more, "
    "e.g. {changes}."
)
HINT_NONE = (
    "- {label} is missed and the plan has no objective on {structure} that acts on it: add one "
    "(e.g. dvh_max or max_dose) or lower the target weights that spill dose into it."
)
HINT_RELAX = (
    "- {structure} meets its goals with room to spare ({margins}); its objectives can be "
    "relaxed to help the missed goals, e.g. {changes}."
)
CHANGE_WEIGHT = "{kind} weight {old} -> {new}"
CHANGE_DOSE = "{kind} dose_gy {old} -> {new}"
HINT_ALL_MET = (
    "- Every goal is met. Keep the plan; small changes may widen the smallest margin "
    "({label}, {margin:.1f} {unit})."
)

CRITIC_SYSTEM = (
    "You are an experienced radiotherapy treatment planner. You read the clinical goal results "
    "of a plan and say concisely which objective weights and dose levels to change, and how."
)
CRITIC = (
    "The plan (objectives of the fluence optimization):\n<PLAN>{plan}</PLAN>\n"
    "Its evaluation:\n<EVALUATION>{report}</EVALUATION>\n"
    "Say which objectives to change (weights and dose_gy) so that the missed goals are met "
    "without losing the met ones."
)

# Sensitivity: what doubling and halving each objective weight does (measured by re-optimizing).
SENS_HEADER = "Measured effect of changing one weight (fluence re-optimized for each):"
SENS_LINE = "- {structure} {kind} weight {old} -> {new}: {changes}; {met} of {total} goals met"
SENS_CHANGE = "{label} {delta:+.1f} {unit}"
SENS_FLIP_MET = "{label} now met"
SENS_FLIP_MISSED = "{label} now MISSED"
SENS_NO_CHANGE = "no goal metric moves by 0.1 or more"
SENS_FAILED = "- {structure} {kind} weight {old} -> {new}: the optimization failed"
SENS_PARTIAL = "(the budget allowed {done} of {wanted} weight changes)"
