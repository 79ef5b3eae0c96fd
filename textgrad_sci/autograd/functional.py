"""TextGrad's ``textgrad.autograd.functional``: ``sum`` and ``aggregate``."""

from ..reduce import aggregate, sum

__all__ = ["aggregate", "sum"]
