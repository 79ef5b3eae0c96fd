"""Test-time refinement of one solution (as in TextGrad's LeetCode Hard experiment): feedback
from the visible tests, success judged on the hidden tests; the best version by visible tests
is kept. The steps run in :func:`textgrad_sci.loop.optimize` (resume, records, status)."""

from __future__ import annotations

import ast
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textgrad_sci.losses.code_tests import CodeTestLoss
from textgrad_sci.losses.sandbox import RunResult, Sandbox

from textgrad_sci.formats import FormatError, TagFormat
from textgrad_sci.loop import optimize
from textgrad_sci.optimizer import TGD, RandomSearch
from textgrad_sci.run import Run
from textgrad_sci.tool_loss import Measurement
from textgrad_sci.variable import Variable

from . import code_prompts as prompts
from .critique import CodeCritique
from .problems import Problem
from .report import test_fields

if TYPE_CHECKING:
    from textgrad_sci.engines.base import Engine

_FENCE = re.compile(r"^\s*```[a-zA-Z0-9_+-]*\s*\n(.*?)\n?\s*```\s*$", re.DOTALL)


def strip_fences(text: str) -> str:
    """Code without a surrounding Markdown fence (models add them even when told not to)."""
    match = _FENCE.match(text)
    return match.group(1) if match else text


# Generation stops at the end of the code: small models close it with a fence, then keep talking.
CODE_STOP = ("\n```\n",)
RESAMPLE_T = 0.8  # the resampling baseline's sampling temperature
STRATEGIES = ("tgd", "resample", "reflexion")


@dataclass(frozen=True)
class CodeFormat(TagFormat):
    """Code between ``<CODE>`` tags; a Markdown fence inside the tags is removed. Small models
    often end the code with a closing fence instead of ``</CODE>`` and keep talking: then the
    code is what stands between ``<CODE>`` and that fence. An answer cut at that fence (the
    :data:`CODE_STOP` sequence) is accepted when what it holds compiles."""

    tag: str = "CODE"

    def _unclosed(self, text: str) -> str:
        opened = re.search(rf"<\s*{self.tag}\s*>", text, re.IGNORECASE)
        if opened is None:
            raise FormatError(f"the answer did not contain <{self.tag}>...</{self.tag}>")
        body = text[opened.end() :].lstrip("\n")
        body = re.sub(r"^```[a-zA-Z0-9_+-]*[ \t]*\n", "", body)
        fence = re.search(r"^```", body, re.MULTILINE)
        if fence is not None:
            return body[: fence.start()]
        try:
            compile(body, "<answer>", "exec")
        except (SyntaxError, ValueError):
            raise FormatError(f"the answer opened <{self.tag}> but never closed it") from None
        return body

    def parse(self, text: str) -> str:
        try:
            value = super().parse(text)
        except FormatError:
            value = self._unclosed(text)
        value = strip_fences(value).strip("\n")
        if not value.strip():
            raise FormatError(f"the code between <{self.tag}> and </{self.tag}> was empty")
        return value + "\n"


def code_validator(entry_point: str):
    """Accept code only if it compiles and defines the entry point (function or class)."""
    head = entry_point.partition(".")[0]

    def validate(code: str) -> str | None:
        try:
            tree = ast.parse(code)
            compile(tree, "<solution>", "exec")
        except SyntaxError as err:
            line = (err.text or "").strip()
            return f"the code does not compile: {err.msg} (line {err.lineno}: {line})"
        defined = {n.name for n in ast.walk(tree)
                   if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        defined |= {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign)
                    for t in n.targets if isinstance(t, ast.Name)}
        if head and head not in defined:
            return f"the code must define `{head}`"
        return None

    return validate


def summary(measurement: Measurement) -> dict:
    result = measurement.detail
    if not isinstance(result, RunResult):
        return {"passed": 0, "total": 0, "error": measurement.error}
    return {"passed": result.passed, "total": result.total, "host_passed": result.host_passed,
            "statuses": result.counts()}


@dataclass
class CodeRefinement:
    """The outcome of refining one problem's solution (before/after on visible and hidden)."""

    problem_id: str
    initial_code: str
    best_code: str
    steps_run: int
    solved_visible: bool
    visible_before: dict
    visible_after: dict
    hidden_before: dict
    hidden_after: dict
    history: list[dict] = field(default_factory=list)
    best_by_iteration: list[str] = field(default_factory=list)  # start, then after each update


def all_passed(s: dict) -> bool:
    """Every test passed, judged by the host's own comparison (a verdict from inside the
    sandbox does not count; summaries without ``host_passed`` fall back to ``passed``)."""
    return bool(s.get("total")) and s.get("host_passed", s.get("passed")) == s.get("total")


def generate_initial(problem: Problem, engine: Engine, max_tokens: int | None = 384,
                     **sampling: Any) -> str:
    """A solution from the model (``sampling``: e.g. seed, temperature); the starter code when
    its answer is unusable."""
    fmt = CodeFormat()
    prompt = prompts.GENERATE.format(
        problem=problem.statement, entry_point=problem.entry_point, starter=problem.starter_code
    )
    params: dict[str, Any] = {"output": fmt.spec(), "stop": list(CODE_STOP), **sampling}
    if max_tokens:
        params["max_tokens"] = max_tokens
    answer = engine.chat(prompt, system_prompt=prompts.GENERATE_SYSTEM, **params)
    try:
        code = fmt.parse(answer)
    except FormatError:
        return problem.starter_code
    if code_validator(problem.entry_point)(code) is not None:
        return problem.starter_code
    return code


class RefineJob:
    """One problem's refinement, as a :func:`textgrad_sci.loop.optimize` problem: each step runs
    the visible tests (and a critique), the loop sends the feedback back and updates the code;
    it stops once the visible tests pass. The first code is written lazily (a resumed run
    takes its recorded one)."""

    def __init__(self, problem: Problem, engine: Engine, sandbox: Sandbox, critique: bool = True,
                 max_tokens: int | None = 512, code: str | None = None,
                 generate: bool = False) -> None:
        self.problem, self.engine, self.critique, self.max_tokens = (
            problem, engine, critique, max_tokens)
        self.initial, self.generate = code, generate
        self.visible, self.hidden = (CodeTestLoss(sandbox, tests, problem.entry_point, label)
                                     for tests, label in ((problem.visible_tests, "visible tests"),
                                                          (problem.hidden_tests, "hidden tests")))
        self.variable = Variable(code or "", prompts.ROLE, requires_grad=True, name="code",
                                 validator=code_validator(problem.entry_point),
                                 output_format=CodeFormat())
        self.parameters = [self.variable]
        self.statement = Variable(problem.statement, "the programming problem",
                                  requires_grad=False)
        self.best_code, self.best_passed, self.solved = self.variable.value, -1, False
        self.history: list[dict] = []
        self.best_codes: list[str] = []  # the best code by visible tests after each step
        self._tested = self.variable.value
        self._passed = self._total = 0

    def start(self) -> str:
        """The code the run starts from (asked of the model once, unless given or recorded)."""
        if self.initial is None:
            given = self.problem.initial_solution and not self.generate
            self.initial = (self.problem.initial_solution if given else
                            generate_initial(self.problem, self.engine, self.max_tokens))
            self.variable.value = self.initial
        if self.best_passed < 0:
            self.best_code = self.initial
        return self.initial

    def restore(self, steps: list[dict]) -> None:
        if steps:
            self.initial = steps[0]["initial_code"]
            self.best_code, self.best_passed = steps[-1]["best_code"], steps[-1]["best_passed"]
            self.solved = any(s.get("solved") for s in steps)
            self.history = [s.get("history_entry", {}) for s in steps]
            self.best_codes = [s["best_code"] for s in steps]

    def stop(self) -> bool:
        return self.solved

    def forward(self, step: int, seed: int) -> Variable:
        self.start()
        self._tested = self.variable.value
        results = self.visible(self.variable)
        self._passed = results.data.get("host_passed", results.data["passed"])  # host-judged
        self._total = results.data["total"]
        if self._passed > self.best_passed:
            self.best_code, self.best_passed = self._tested, self._passed
        self.solved = bool(self._total) and self._passed == self._total
        if self.solved or not self.critique:
            return results
        return CodeCritique(self.engine, self.max_tokens)(self.statement, self.variable, results)

    def record(self, step: int, updates: list) -> dict:
        entry = {"step": step, "visible_passed": self._passed, "visible_total": self._total}
        self.history.append(entry)
        self.best_codes.append(self.best_code)
        rate = self._passed / self._total if self._total else 0.0
        return {
            "losses": {"visible_passed": self._passed, "visible_total": self._total,
                       "visible_pass_rate": rate},
            "initial_code": self.initial, "tested_code": self._tested,
            "best_code": self.best_code, "best_passed": self.best_passed,
            "solved": self.solved, "history_entry": entry,
        }

    def progress(self, fields: dict) -> str:
        return f"visible {self._passed}/{self._total}"

    def result(self) -> CodeRefinement:
        start = self.start()
        final = self.visible.evaluate(self.variable.value).detail
        if isinstance(final, RunResult) and final.host_passed > self.best_passed:
            self.best_code, self.best_passed = self.variable.value, final.host_passed
        best = summary(self.visible.evaluate(self.best_code))
        return CodeRefinement(
            problem_id=self.problem.id, initial_code=start, best_code=self.best_code,
            steps_run=len(self.history), solved_visible=all_passed(best),
            visible_before=summary(self.visible.evaluate(start)), visible_after=best,
            hidden_before=summary(self.hidden.evaluate(start)),
            hidden_after=summary(self.hidden.evaluate(self.best_code)), history=self.history,
            best_by_iteration=[*self.best_codes, self.best_code],
        )

    def summary(self) -> dict:
        result = self.result()
        tests = test_fields(*(loss.evaluate(code) for loss in (self.visible, self.hidden)
                              for code in (result.initial_code, result.best_code)))  # in order
        fields = asdict(result)
        del fields["history"], fields["best_by_iteration"]
        return {**fields, **tests}

    def write_artifacts(self, run_dir: Path, summary: dict) -> None:
        from .plots import plot_refinement

        plot_refinement(self.history, Path(run_dir) / "plots" / "visible_tests.png")
        (Path(run_dir) / "best_solution.py").write_text(self.best_code, encoding="utf-8")


def refine(problem: Problem, engine: Engine, sandbox: Sandbox, run: Run, steps: int = 5,
           critique: bool = True, max_tokens: int | None = 512, code: str | None = None,
           progress: bool = False, max_retries: int = 2, generate: bool = False,
           finish: bool = False, strategy: str = "tgd") -> CodeRefinement:
    """Refine a solution for up to ``steps`` steps or until its visible tests pass. With
    ``finish`` the run is marked completed, with its plot, best solution and report.
    ``strategy="resample"`` is the blind baseline: each step a fresh sampled solution (no
    feedback, no critique), kept if it passes as many visible tests; ``"reflexion"`` the
    Reflexion-style baseline (:mod:`.reflexion`: the model's own reflection on the same visible
    results, then a rewrite; two calls a step, as TGD's critique and update)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}: one of {', '.join(STRATEGIES)}")
    job = RefineJob(problem, engine, sandbox, critique and strategy == "tgd", max_tokens, code,
                    generate)
    limit = {"max_tokens": max_tokens} if max_tokens else {}
    if strategy == "reflexion":
        from .reflexion import Reflexion

        optimizer = Reflexion(job.variable, engine, problem.statement, problem.entry_point,
                              lambda c: job.visible.evaluate(c).text, max_retries=max_retries,
                              score_fn=job.visible.score,
                              sampling={"stop": list(CODE_STOP), **limit})
    elif strategy == "resample":
        optimizer = RandomSearch([job.variable], lambda _code, rng: generate_initial(
            problem, engine, max_tokens, seed=rng.randrange(2**31), temperature=RESAMPLE_T),
            job.visible.score)
    else:
        constraints = [c.format(entry_point=problem.entry_point) for c in prompts.CONSTRAINTS]
        optimizer = TGD([job.variable], engine, constraints=constraints, gradient_memory=1,
                        max_retries=max_retries, score_fn=job.visible.score,
                        sampling={"stop": list(CODE_STOP), **limit})
    optimize(job, optimizer, run, steps, progress=progress, desc=problem.id, finish=finish)
    return job.result()
