"""textgrad-sci: automatic differentiation via text, with tool-backed scientific losses.

The API follows TextGrad's names, so ``import textgrad_sci as tg`` ports a TextGrad script.
"""

from . import engines, optimizer
from .concurrency import get_concurrency, parallel_map, set_concurrency
from .config import get_backward_engine, set_backward_engine
from .engines import ChatRequest, Engine, EngineLM, OutputSpec, ScriptedEngine, get_engine
from .formats import FormatError, JsonFormat, TagFormat
from .function import Function
from .graph import graph_snapshot
from .llm_ops import FormattedLLMCall, LLMCall, StringBasedFunction
from .loss import MultiFieldEvaluation, TextLoss
from .model import BlackboxLLM, Module
from .optimizer import TGD, TextualGradientDescent, TextualGradientDescentwithMomentum
from .reduce import aggregate, sum
from .run import Run
from .tool_loss import Measurement, ToolLoss
from .variable import Variable

__all__ = [
    "BlackboxLLM",
    "ChatRequest",
    "Engine",
    "EngineLM",
    "FormatError",
    "FormattedLLMCall",
    "Function",
    "JsonFormat",
    "LLMCall",
    "Module",
    "Measurement",
    "MultiFieldEvaluation",
    "OutputSpec",
    "Run",
    "ScriptedEngine",
    "StringBasedFunction",
    "TGD",
    "TagFormat",
    "TextLoss",
    "TextualGradientDescent",
    "TextualGradientDescentwithMomentum",
    "ToolLoss",
    "Variable",
    "aggregate",
    "engines",
    "get_backward_engine",
    "get_concurrency",
    "get_engine",
    "graph_snapshot",
    "optimizer",
    "parallel_map",
    "set_backward_engine",
    "set_concurrency",
    "sum",
]


def __getattr__(name: str):
    if name == "__version__":
        from importlib.metadata import version

        return version("textgrad-sci")
    raise AttributeError(f"module 'textgrad_sci' has no attribute {name!r}")
