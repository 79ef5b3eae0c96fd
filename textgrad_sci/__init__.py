"""textgrad-sci: automatic differentiation via text, with tool-backed scientific losses.

The API follows TextGrad's names, so ``import textgrad_sci as tg`` ports a TextGrad script;
TextGrad's module paths (``autograd``, ``engine``, ``engine_experimental``, ``tasks``) load on
first use.
"""

from . import engines, optimizer
from .concurrency import get_concurrency, parallel_map, set_concurrency
from .config import SingletonBackwardEngine, get_backward_engine, set_backward_engine
from .engines import ChatRequest, Engine, EngineLM, OutputSpec, ScriptedEngine, get_engine
from .formats import FormatError, JsonFormat, TagFormat
from .function import Function
from .graph import graph_snapshot
from .llm_ops import FormattedLLMCall, LLMCall, StringBasedFunction
from .loss import MultiFieldEvaluation, TextLoss
from .model import BlackboxLLM, Module
from .optimizer import TGD
from .reduce import aggregate, sum
from .run import Run
from .textgrad_optimizers import TextualGradientDescent, TextualGradientDescentwithMomentum
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
    "SingletonBackwardEngine",
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


singleton_backward_engine = SingletonBackwardEngine()
_SUBMODULES = {"autograd", "engine", "engine_experimental", "tasks", "multimodal", "graph_view"}


def __getattr__(name: str):
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    if name == "__version__":
        from importlib.metadata import version

        return version("textgrad-sci")
    raise AttributeError(f"module 'textgrad_sci' has no attribute {name!r}")
