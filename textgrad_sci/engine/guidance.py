"""TextGrad's ``textgrad.engine.guidance``: guidance runs models in process; textgrad-sci's
constrained decoding is the ``local`` engine's grammar support instead."""

from .providers import unavailable

GuidanceEngine = unavailable(
    "guidance", "use get_engine('local') (grammar-constrained decoding) or an OpenAI-compatible "
    "server"
)

__all__ = ["GuidanceEngine"]
