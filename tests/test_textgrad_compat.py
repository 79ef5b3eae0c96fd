"""TextGrad's public behaviour, as its own tests check it (tests/test_basics.py and
tests/test_engines.py of TextGrad 0.1.8), written for textgrad-sci's TextGrad module paths."""

from __future__ import annotations

import pytest
from textgrad_support import ScriptedLM

import textgrad_sci as tg
from textgrad_sci.autograd import FormattedLLMCall, LLMCall
from textgrad_sci.config import BackwardEngineAlreadySet, SingletonBackwardEngine
from textgrad_sci.engine import get_engine
from textgrad_sci.engine.base import EngineLM
from textgrad_sci.engine.openai import ChatOpenAI
from textgrad_sci.engine_experimental.litellm import LiteLLMEngine


@pytest.fixture
def no_openai_env(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "GROQ_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


class Echo(EngineLM):
    """Returns its prompt; ``generate`` takes no ``**kwargs``."""

    def generate(self, prompt, system_prompt=None):
        return prompt


class OwnCall(EngineLM):
    """A TextGrad engine whose ``__call__`` drops the system prompt (TextGrad's test engines
    do this)."""

    def __init__(self):
        self.seen = []

    def generate(self, prompt, system_prompt=None, **kwargs):
        self.seen.append((prompt, system_prompt, kwargs))
        return "from generate"

    def __call__(self, prompt, system_prompt=None):
        return "own call: " + self.generate(prompt)


def test_optimizer_holds_the_variables_themselves():
    v = tg.Variable("Hello", role_description="a greeting")
    optimizer = tg.TextualGradientDescent(parameters=[v], engine=ScriptedLM())
    optimizer.parameters[0].gradients.add(tg.Variable("grad", role_description="feedback"))
    optimizer.parameters[0].set_value("World")
    assert v.value == "World" and optimizer.parameters[0].get_value() == "World"
    assert v.get_gradient_text() == "grad"


def test_chat_openai_needs_a_key_and_says_which(no_openai_env):
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        ChatOpenAI()
    no_openai_env.setenv("OPENAI_API_KEY", "sk-test-key-123456")
    engine = ChatOpenAI()
    assert engine.model_string == "gpt-3.5-turbo-0613" and isinstance(engine, tg.Engine)


def test_backward_engine_is_guarded_like_textgrad(no_openai_env):
    no_openai_env.setenv("OPENAI_API_KEY", "sk-test-key-123456")
    assert SingletonBackwardEngine().get_engine() is None
    first = ChatOpenAI()
    tg.config.set_backward_engine(first, override=False)
    assert SingletonBackwardEngine().get_engine() is first
    assert SingletonBackwardEngine() is SingletonBackwardEngine()
    second = LiteLLMEngine(model_string="gpt-3.5-turbo-0613")
    tg.config.set_backward_engine(second, True)
    assert SingletonBackwardEngine().get_engine() is second
    with pytest.raises(BackwardEngineAlreadySet, match="override=True"):
        tg.config.set_backward_engine(first, False)
    assert tg.get_backward_engine() is second
    tg.set_backward_engine(None)  # clearing is always allowed
    assert SingletonBackwardEngine().get_engine() is None


class MappingStore(dict):
    """Stands in for a ``diskcache.Cache``: ``get`` and ``set``."""

    def set(self, key, value):
        self[key] = value


def test_textgrad_engine_names_and_cache_argument(no_openai_env, tmp_path):
    no_openai_env.setenv("OPENAI_API_KEY", "sk-test-key-123456")
    assert isinstance(get_engine("gpt-3.5-turbo-0613"), ChatOpenAI)
    assert isinstance(tg.get_engine(engine_name="gpt-4o"), ChatOpenAI)
    claude = get_engine("experimental:claude-3-opus-20240229")
    assert isinstance(claude, LiteLLMEngine) and claude.cache is None
    assert claude.base_url.startswith("https://api.anthropic.com")
    assert get_engine("experimental:claude-3-opus-20240229", cache=True).cache is not None
    assert get_engine("experimental:claude-3-opus-20240229", cache=False).cache is None
    store = MappingStore()
    assert get_engine("experimental:gpt-4o", cache=store).cache is not None
    assert get_engine("experimental:gpt-4o", cache=tmp_path / "c").cache is not None
    with pytest.raises(ValueError, match="must start with a scheme"):
        get_engine("invalid-engine")
    with pytest.raises(ValueError, match="cache must be"):
        get_engine("experimental:claude-3-opus-20240229", cache=[1, 2, 3])
    with pytest.raises(ValueError, match="only for 'experimental:'"):
        get_engine("gpt-4o", cache=True)
    # explicit schemes keep every option
    assert get_engine("openai:gpt-4o", cache=tmp_path / "d").cache is not None


def test_litellm_engine_reports_a_missing_key_at_its_first_call(no_openai_env):
    engine = LiteLLMEngine("anthropic/claude-3-haiku")
    assert engine.model_string == "claude-3-haiku"
    with pytest.raises(ValueError, match="ANTHROPIC_API_KEY"):
        engine.generate("hello")


def test_provider_engines_route_and_fail_clearly(no_openai_env):
    ollama = get_engine("ollama-test-model-string")
    assert ollama.model_string == "test-model-string"
    assert ollama.base_url == "http://localhost:11434/v1"
    vllm = get_engine("vllm-meta-llama/Meta-Llama-3-8B-Instruct")
    assert vllm.model_string == "meta-llama/Meta-Llama-3-8B-Instruct"
    assert type(vllm).__name__ == "ChatVLLM" and vllm.base_url.endswith(":8000/v1")
    with pytest.raises(ValueError, match="GROQ_API_KEY"):
        get_engine("groq-llama3-70b-8192")
    from textgrad_sci.engine.bedrock import ChatBedrock

    with pytest.raises(NotImplementedError, match="AWS Bedrock"):
        ChatBedrock()
    no_openai_env.setenv("ANTHROPIC_API_KEY", "sk-ant-test-123456")
    opus = get_engine("opus")  # TextGrad's shortcut
    assert type(opus).__name__ == "ChatAnthropic" and opus.is_multimodal
    assert opus.model_string == "claude-3-opus-20240229"


def test_main_components_import_from_the_package():
    from textgrad_sci import BlackboxLLM, EngineLM, TextualGradientDescent, Variable

    assert all((Variable, TextualGradientDescent, EngineLM, ChatOpenAI, BlackboxLLM))
    assert tg.autograd.FormattedLLMCall is FormattedLLMCall  # loaded on first use
    assert tg.tasks.DataLoader is not None


def test_blackbox_forward_with_a_custom_engine():
    engine = ScriptedLM(forward="Hello World")
    response = tg.BlackboxLLM(engine=engine)(tg.Variable("Hello", role_description="greeting"))
    assert response.value == "Hello World"
    assert engine.model_string == "scripted-lm" == engine.model


def test_variable_needs_a_role_description():
    text = tg.Variable("Hello", role_description="A variable", requires_grad=True)
    assert (text.value, text.role_description, text.requires_grad) == ("Hello", "A variable", True)
    with pytest.raises(TypeError, match="role_description"):
        tg.Variable("Hello")


def test_sum_add_and_aggregate_word_roles_as_textgrad():
    a = tg.Variable("Line1", role_description="role1")
    b = tg.Variable("Line2", role_description="role2")
    total = tg.sum(variables=[a, b])
    assert total.get_value() == "Line1\nLine2"
    assert total.get_role_description() == "a combination of the following: role1, role2"
    plus = a + b
    assert plus.value == "Line1Line2" and plus.role_description == "role1 and role2"
    assert tg.aggregate([a, b]).role_description == (
        "a combination of the following variables: role1, role2."
    )
    total.add_gradient("shorter", source="critic")
    total.grad_fn(None)
    assert [g.value for g in a.gradients] == ["shorter"]
    note = a.gradients_context[a.gradients[0]]["note"]
    assert note.startswith("Here is the combined feedback we got for this specific role1")


def test_llm_call_output_and_predecessor_membership():
    x = tg.Variable("Input", role_description="Input")
    output = LLMCall(ScriptedLM(forward="Hello World"))(x)
    assert isinstance(output, tg.Variable) and output.get_value() == "Hello World"
    assert x in output.predecessors and len(output.predecessors) == 1


def test_formatted_llm_call_fills_the_template():
    call = FormattedLLMCall(
        engine=Echo(),
        format_string="Question: {question}\nPrediction: {prediction}",
        fields={"prediction": None, "question": None},
    )
    inputs = {
        "question": tg.Variable("q", role_description="Question"),
        "prediction": tg.Variable("p", role_description="Prediction"),
    }
    output = call(inputs, response_role_description="test response")
    assert output.get_value() == "Question: q\nPrediction: p"
    assert inputs["question"] in output.predecessors and inputs["prediction"] in output.predecessors
    assert output.get_role_description() == "test response"


def test_gradients_are_sets_that_iterate_in_a_fixed_order():
    v = tg.Variable("x", role_description="draft")
    feedback = [tg.Variable(f"f{i}", role_description="feedback") for i in range(20)]
    for f in feedback:
        v.gradients.add(f)
    v.gradients.add(feedback[3])  # a set: adding again changes nothing
    assert len(v.gradients) == 20 and feedback[7] in v.gradients
    assert [g.value for g in v.gradients] == [f"f{i}" for i in range(20)]
    assert v.gradients == set(feedback) and v.gradients == feedback
    v.reset_gradients()
    assert v.gradients == [] and v.gradients == set()


def test_engines_are_called_with_what_they_accept_and_their_own_call():
    echo = Echo()
    assert tg.LLMCall(echo, system_prompt="Be brief.")(tg.Variable("hi", "greeting")).value == "hi"
    own = OwnCall()
    answer = tg.BlackboxLLM(own, "Be brief.")(tg.Variable("hi", role_description="greeting"))
    assert answer.value == "own call: from generate"
    assert own.seen == [("hi", None, {})]  # its __call__ dropped the system prompt
    assert own.usage.snapshot()["total"]["calls"] == 1  # and it went through the call path


def test_every_engine_has_a_model_string(no_openai_env):
    assert tg.ScriptedEngine("x").model_string == "scripted"
    no_openai_env.setenv("OPENAI_API_KEY", "sk-test-key-123456")
    assert tg.get_engine("openai:gpt-4o-mini").model_string == "gpt-4o-mini"


def test_textgrad_optimizer_argument_order():
    lm = ScriptedLM(update="better")
    x = tg.Variable("draft", role_description="draft")
    opt = tg.TextualGradientDescent([x], 0, lm, ["Keep it short."])  # parameters, verbose, engine
    assert opt.engine is lm and opt.constraints == ["Keep it short."]
    from textgrad_sci.textgrad_optimizers import TextualGradientDescentwithMomentum

    momentum = TextualGradientDescentwithMomentum(lm, [x], 2)  # engine, parameters, window
    assert momentum.engine is lm and momentum.gradient_memory == 2
    both = TextualGradientDescentwithMomentum([x], engine=lm, momentum_window=3)
    assert both.parameters == [x] and both.gradient_memory == 3
    x.add_gradient("too vague")
    momentum.step()
    assert x.value == "better"
    with pytest.raises(ValueError, match="optimizer_system_prompt"):
        tg.TextualGradientDescent([x], engine=lm, optimizer_system_prompt="Be an optimizer.")


def test_generate_graph_uses_graphviz_when_installed():
    pytest.importorskip("graphviz", reason="graphviz ships with leetcode-py-sdk in the dev extra")
    x = tg.Variable("draft", role_description="draft answer")
    loss = tg.TextLoss("Evaluate.", engine=ScriptedLM(forward="too long"))(x)
    dot = loss.generate_graph()
    assert type(dot).__name__ == "Digraph"
    assert "Role: draft answer" in dot.source and "Value: too long" in dot.source
    assert f"{x.id} -> {loss.id}" in dot.source


def test_generate_graph_draws_an_svg_without_graphviz(monkeypatch):
    from textgrad_sci import graph_view

    monkeypatch.setattr(graph_view, "has_graphviz", lambda: False)
    x = tg.Variable("draft", role_description="draft answer")
    loss = tg.TextLoss("Evaluate.", engine=ScriptedLM(forward="too long"))(x)
    picture = loss.generate_graph()
    svg = picture._repr_svg_()
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "draft answer" in svg and "evaluation of the draft answer" in svg
