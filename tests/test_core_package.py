"""The package: light import, CLI, the compiled extension, the engine interface."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import textgrad_sci as tg
from textgrad_sci.engines import ChatRequest, EngineError, build_request


def test_import_needs_no_heavy_dependency():
    code = (
        "import sys, textgrad_sci; heavy = {'numpy', 'openai', 'llama_cpp', 'rdkit', 'vina', "
        "'scipy', 'jinja2', 'matplotlib'} & set(sys.modules); print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_help_and_version():
    help_out = subprocess.run(
        [sys.executable, "-m", "textgrad_sci.cli", "--help"], capture_output=True, text=True
    )
    assert help_out.returncode == 0 and "textgrad-sci" in help_out.stdout
    version = subprocess.run(
        [sys.executable, "-m", "textgrad_sci.cli", "--version"], capture_output=True, text=True
    )
    assert version.returncode == 0 and version.stdout.strip() == f"textgrad-sci {tg.__version__}"


def test_native_extension_matches_numpy():
    from textgrad_sci import _native

    rng = np.random.default_rng(0)
    x, w = rng.normal(size=1000), rng.random(1000)
    assert _native.weighted_sum_of_squares(x, w) == pytest.approx(float(np.sum(w * x**2)))
    with pytest.raises(ValueError, match="same length"):
        _native.weighted_sum_of_squares(x, w[:10])


def test_request_key_is_stable_and_covers_every_parameter():
    base = build_request("m", "hello", system_prompt="sys", temperature=0.0, seed=1)
    same = build_request(
        "m", [{"role": "system", "content": "sys"}, {"role": "user", "content": "hello"}], seed=1
    )
    assert base.key() == same.key()
    variants = [
        build_request("m", "hello", system_prompt="sys", temperature=0.5, seed=1),
        build_request("m", "hello", system_prompt="sys", seed=2),
        build_request("m", "hello", system_prompt="sys", seed=1, max_tokens=10),
        build_request("m", "hello", system_prompt="sys", seed=1, top_p=0.9),
        build_request("m", "hello", system_prompt="sys", seed=1, stop=["\n"]),
        build_request("m", "hello", system_prompt="sys", seed=1, output=tg.OutputSpec(tag="T")),
        build_request("m", "hello", system_prompt="sys", seed=1, repeat_penalty=1.1),
        build_request("other", "hello", system_prompt="sys", seed=1),
        build_request("m", "hello!", system_prompt="sys", seed=1),
    ]
    keys = {v.key() for v in variants}
    assert len(keys) == len(variants) and base.key() not in keys
    assert ChatRequest.from_dict(base.to_dict()) == base


def test_textgrad_style_custom_engine_keeps_working():
    class EchoEngine(tg.EngineLM):
        def __init__(self):
            self.model_string = "echo-1"
            self.calls = []

        def generate(self, prompt, system_prompt=None, **kwargs):
            self.calls.append((system_prompt, prompt, kwargs))
            return f"echo: {prompt}"

    engine = EchoEngine()
    answer = tg.BlackboxLLM(engine, system_prompt="Be brief.")(tg.Variable("hi", "greeting", False))
    assert answer.value == "echo: hi"
    assert engine.calls[0][0] == "Be brief." and engine.calls[0][2]["temperature"] == 0.0
    assert engine.usage.snapshot()["total"]["calls"] == 1 and engine.model == "echo-1"


def test_engine_specs_need_an_explicit_scheme():
    with pytest.raises(ValueError, match="must start with a scheme"):
        tg.get_engine("no-such-engine")
    assert tg.get_engine("scripted:fixed answer").chat("anything") == "fixed answer"


def test_scripted_engine_exhaustion_is_a_clear_error():
    engine = tg.ScriptedEngine(["only one"])
    assert engine.chat("a") == "only one"
    with pytest.raises(EngineError, match="exhausted after 1 answers"):
        engine.chat("b")


def test_backward_engine_default_can_be_changed():
    first, second = tg.ScriptedEngine("1"), tg.ScriptedEngine("2")
    tg.set_backward_engine(first)
    assert tg.get_backward_engine() is first
    with pytest.raises(RuntimeError, match="override=True"):  # TextGrad's guard
        tg.set_backward_engine(second, override=False)
    tg.set_backward_engine(second, override=True)
    assert tg.get_backward_engine() is second


def test_output_into_a_closed_pipe_is_no_traceback():
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "textgrad_sci.cli", "molecule", "targets"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # as `| head -0` would
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
