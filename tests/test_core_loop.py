"""The shared loop, ToolLoss, strategies with one interface, and generated CLI options."""

import argparse
import json
from dataclasses import dataclass

import pytest
from core_support import responder

import textgrad_sci as tg
from textgrad_sci.engines.base import EngineError
from textgrad_sci.loop import RunStopped, for_each, optimize
from textgrad_sci.optimizer import RandomSearch
from textgrad_sci.options import (
    UsageError,
    add_config_options,
    add_run_options,
    config_from,
    open_run,
    setting,
)


class LengthLoss(tg.ToolLoss):
    """A toy tool: the distance of a text's length from 12 characters (lower is better)."""

    role = "length report"

    def __init__(self):
        self.measured = []

    def canonical(self, value):
        return value.strip()

    def measure(self, value):
        self.measured.append(value)
        gap = abs(len(value.strip()) - 12)
        return tg.Measurement({"gap": gap}, f"the text is {gap} characters off", float(gap),
                              hints=["make it longer" if len(value.strip()) < 12 else "shorter"])


class TextProblem:
    def __init__(self, loss, start="short"):
        self.loss = loss
        self.parameters = [tg.Variable(start, "a text of 12 characters", name="text")]
        self.seeds = []

    def forward(self, step, seed):
        self.seeds.append(seed)
        return self.loss(self.parameters[0])

    def record(self, step, updates):
        return {"losses": {"gap": self.loss.score(self.parameters[0].value)}}

    def summary(self):
        return {"final": self.parameters[0].value}


def test_tool_loss_caches_by_canonical_form_and_writes_feedback():
    loss = LengthLoss()
    text = tg.Variable("abc", "a text", name="t")
    out = loss(text)
    assert out.value == "the text is 9 characters off" and out.data == {"gap": 9}
    assert loss.score(" abc ") == 9.0 and loss.measured == ["abc"]
    assert loss.evaluations == 1 and loss.cache_hits == 1
    out.backward()
    assert text.get_gradient_text() == "the text is 9 characters off\nmake it longer"


def _tgd(problem, engine, **kw):
    return tg.TGD([{"params": problem.parameters, "score_fn": problem.loss.score}],
                  engine=engine, sampling={"seed": 0}, **kw)


def test_loop_records_feedback_seeds_and_finishes_the_run(tmp_path):
    twelve = "<IMPROVED_VARIABLE>twelve chars</IMPROVED_VARIABLE>"
    engine = tg.ScriptedEngine(responder(update=twelve))
    problem = TextProblem(LengthLoss())
    run = tg.Run(tmp_path / "run")
    summary = optimize(problem, _tgd(problem, engine), run, 3, seed=100, progress=False)
    assert summary == {"final": "twelve chars"} and problem.seeds == [100, 101, 102]
    steps = run.steps()
    assert [s["step"] for s in steps] == [0, 1, 2]
    node = next(n for n in steps[0]["graph"]["nodes"] if n["name"] == "text")
    assert node["feedback"] and "7 characters off" in json.dumps(node["feedback"])
    assert steps[0]["updates"][0]["accepted"] and steps[0]["losses"] == {"gap": 0.0}
    assert steps[0]["timings"]["forward"] >= 0 and "update" in steps[0]["timings"]
    meta = json.loads((tmp_path / "run" / "run.json").read_text())
    assert meta["status"] == "completed" and (tmp_path / "run" / "report.html").exists()


def test_gate_rejection_is_fed_back_into_the_next_update(tmp_path):
    prompts = []

    def update(request):
        prompts.append(request.messages[-1][1])
        return "<IMPROVED_VARIABLE>far too long a text, really</IMPROVED_VARIABLE>"

    problem = TextProblem(LengthLoss(), start="eleven char")
    optimizer = _tgd(problem, tg.ScriptedEngine(responder(update=update)))
    optimize(problem, optimizer, tg.Run(tmp_path / "r"), 2, progress=False, finish=False)
    assert "rejected" not in prompts[0].lower()
    assert "far too long a text, really" in prompts[1] and "scored worse" in prompts[1]
    assert problem.parameters[0].value == "eleven char"
    assert optimizer.state_dict()["rejected"]["text"]["score_after"] == 15.0


def test_random_search_runs_through_the_same_loop_and_records_the_same_fields(tmp_path):
    def grow(value, rng):
        return value + rng.choice("xyz")

    runs = {}
    for name in ("textgrad", "random"):
        problem = TextProblem(LengthLoss())
        if name == "random":
            optimizer = RandomSearch(problem.parameters, grow, problem.loss.score)
        else:
            optimizer = _tgd(problem, tg.ScriptedEngine(responder()))
        runs[name] = tg.Run(tmp_path / name)
        optimize(problem, optimizer, runs[name], 2, progress=False, finish=False)
    tgd_step, random_step = runs["textgrad"].steps()[0], runs["random"].steps()[0]
    assert set(tgd_step) == set(random_step)
    assert set(tgd_step["updates"][0]) == set(random_step["updates"][0])
    assert random_step["updates"][0]["accepted"] and len(random_step["parameters"]["text"]) == 6
    again = TextProblem(LengthLoss())
    optimize(again, RandomSearch(again.parameters, grow, again.loss.score), tg.Run(tmp_path / "x"),
             2, progress=False, finish=False)
    assert again.parameters[0].value == runs["random"].steps()[-1]["parameters"]["text"]


def test_resume_continues_from_the_last_recorded_step(tmp_path):
    calls = {"n": 0}

    def update(request):
        calls["n"] += 1
        return f"<IMPROVED_VARIABLE>{'v' * (5 + calls['n'])}</IMPROVED_VARIABLE>"

    full = TextProblem(LengthLoss())
    optimize(full, _tgd(full, tg.ScriptedEngine(responder(update=update))), tg.Run(tmp_path / "a"),
             4, progress=False)
    calls["n"] = 0
    first = TextProblem(LengthLoss())
    optimize(first, _tgd(first, tg.ScriptedEngine(responder(update=update))),
             tg.Run(tmp_path / "b"), 2, progress=False)
    resumed = TextProblem(LengthLoss())
    optimize(resumed, _tgd(resumed, tg.ScriptedEngine(responder(update=update))),
             tg.Run(tmp_path / "b"), 4, progress=False)
    assert resumed.parameters[0].value == full.parameters[0].value == "v" * 9
    assert resumed.seeds == [2, 3]


def test_engine_failure_and_interrupt_mark_the_run(tmp_path):
    def down(_request):
        raise EngineError("server unreachable")

    problem = TextProblem(LengthLoss())
    run = tg.Run(tmp_path / "down")
    with pytest.raises(RunStopped) as stopped:
        optimize(problem, _tgd(problem, tg.ScriptedEngine(responder(update=down))), run, 2,
                 progress=False)
    assert stopped.value.exit_code == 1 and "server unreachable" in str(stopped.value)
    assert json.loads(run.meta_path.read_text())["status"] == "failed"

    def interrupt(_request):
        raise KeyboardInterrupt

    problem = TextProblem(LengthLoss())
    run = tg.Run(tmp_path / "int")
    with pytest.raises(RunStopped) as stopped:
        optimize(problem, _tgd(problem, tg.ScriptedEngine(responder(update=interrupt))), run, 2,
                 progress=False)
    assert stopped.value.exit_code == 130
    assert json.loads(run.meta_path.read_text())["status"] == "interrupted"


def test_for_each_skips_items_a_killed_run_recorded(tmp_path):
    done = []

    def work(item):
        done.append(item)
        if item == "c" and len(done) == 3:
            raise RuntimeError("killed")
        return {"double": item * 2}

    run = tg.Run(tmp_path / "batch")
    with pytest.raises(RuntimeError):
        for_each(run, "abcd", str, work, progress=False)
    rows = for_each(tg.Run(tmp_path / "batch"), "abcd", str, work, progress=False)
    assert [r["double"] for r in rows] == ["aa", "bb", "cc", "dd"]
    assert done == ["a", "b", "c", "c", "d"]


@dataclass(frozen=True)
class Settings:
    steps: int = setting(8, "how many steps", local=2)
    gate: bool = setting(False, "gate each step")
    examples: bool = setting(True, "no examples")
    names: tuple[str, ...] = setting((), "names", nargs="+")
    mode: str = setting("a", "mode", choices=("a", "b"))
    hidden: int = setting(1, cli=False)

    def __post_init__(self):
        if self.steps < 0:
            raise ValueError("--steps must be at least 0")


def _parser():
    parser = argparse.ArgumentParser()
    add_config_options(parser, Settings)
    add_run_options(parser, "toy")
    return parser


def test_generated_options_and_saved_settings(tmp_path, capsys):
    parser = _parser()
    args = parser.parse_args(["--gate", "--no-examples", "--names", "x", "y"])
    assert config_from(Settings, args) == Settings(gate=True, examples=False, names=("x", "y"))
    with pytest.raises(SystemExit):
        parser.parse_args(["--hidden", "2"])
    with pytest.raises(UsageError, match="at least 0"):
        config_from(Settings, parser.parse_args(["--steps", "-1"]))
    run, config, spec = open_run(
        parser.parse_args(["--run-dir", str(tmp_path / "r"), "--steps", "3", "--mode", "b",
                           "--engine", "scripted:x"]), "toy", Settings)
    assert config.steps == 3 and spec == "scripted:x"
    resumed_args = parser.parse_args(["--resume", str(tmp_path / "r"), "--steps", "5"])
    run, config, spec = open_run(resumed_args, "toy", Settings)
    assert (config.steps, config.mode, spec) == (5, "b", "scripted:x")
    assert run.config["steps"] == 5 and tg.Run.saved_config(tmp_path / "r")["steps"] == 5
    assert "with its recorded mode" in capsys.readouterr().err
    with pytest.raises(UsageError, match="no run there"):
        open_run(parser.parse_args(["--resume", str(tmp_path / "none")]), "toy", Settings)


def test_local_model_defaults_apply_to_new_runs_only(tmp_path):
    parser = _parser()
    assert "(default 8; 2 with the local model)" in parser.format_help()
    run, config, _ = open_run(parser.parse_args(["--run-dir", str(tmp_path / "l"), "--engine",
                                                 "local?threads=1"]), "toy", Settings)
    assert config.steps == 2
    _, config, _ = open_run(parser.parse_args(["--run-dir", str(tmp_path / "l")]), "toy", Settings)
    assert config.steps == 2  # the saved setting, not the local default again
    _, config, _ = open_run(parser.parse_args(["--run-dir", str(tmp_path / "o"), "--engine",
                                               "scripted:x"]), "toy", Settings)
    assert config.steps == 8
    _, config, _ = open_run(parser.parse_args(["--run-dir", str(tmp_path / "p"), "--engine",
                                               "local", "--steps", "5"]), "toy", Settings)
    assert config.steps == 5
