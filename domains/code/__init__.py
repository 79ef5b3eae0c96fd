"""The code domain: problems, sandboxed test feedback, test-time refinement of solutions."""

from .problems import Problem, ProblemError, load_dataset, load_humaneval, load_problems
from .refine import CodeFormat, CodeRefinement, code_validator, refine

__all__ = [
    "CodeFormat",
    "CodeRefinement",
    "Problem",
    "ProblemError",
    "code_validator",
    "load_dataset",
    "load_humaneval",
    "load_problems",
    "refine",
]
