"""The code domain: problems, sandboxed test feedback, test-time refinement of solutions."""

from .problems import Problem, ProblemError, load_dataset, load_humaneval, load_problems
from .refine import CodeFormat, RefineResult, code_validator, refine

__all__ = [
    "CodeFormat",
    "Problem",
    "ProblemError",
    "RefineResult",
    "code_validator",
    "load_dataset",
    "load_humaneval",
    "load_problems",
    "refine",
]
