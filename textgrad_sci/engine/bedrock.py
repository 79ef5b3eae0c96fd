"""TextGrad's ``textgrad.engine.bedrock``: AWS Bedrock has no OpenAI-compatible endpoint that
textgrad-sci can use, so ``ChatBedrock`` raises a clear error."""

from .providers import unavailable

ChatBedrock = unavailable(
    "AWS Bedrock",
    "serve the model behind an OpenAI-compatible proxy and use 'openai:<model>@<url>'",
)

__all__ = ["ChatBedrock"]
