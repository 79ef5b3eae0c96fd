"""TextGrad's ``textgrad.autograd.function``: ``Function`` and ``Module``."""

from ..function import Function
from ..model import Module

__all__ = ["Function", "Module"]
