"""Test-time refinement of one solution (as in TextGrad's LeetCode Hard experiment): feedback
from the visible tests, success judged on the hidden tests; the best version by visible tests
is kept, and a killed run resumes from its run directory."""

from __future__ import annotations

import ast
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from textgrad_sci.losses.code_tests import CodeTestLoss
from textgrad_sci.losses.sandbox import RunResult, Sandbox

from textgrad_sci.formats import FormatError, TagFormat
from textgrad_sci.graph import graph_snapshot
from textgrad_sci.optimizer import TGD
from textgrad_sci.run import Run
from textgrad_sci.variable import Variable

from . import code_prompts as prompts
from .critique import CodeCritique
from .problems import Problem

if TYPE_CHECKING:
    from textgrad_sci.engines.base import Engine

_FENCE = re.compile(r"^\s*```[a-zA-Z0-9_+-]*\s*\n(.*?)\n?\s*```\s*$", re.DOTALL)


def strip_fences(text: str) -> str:
    """Code without a surrounding Markdown fence (models add them even when told not to)."""
    match = _FENCE.match(text)
    return match.group(1) if match else text


@dataclass(frozen=True)
class CodeFormat(TagFormat):
    """Code between ``<CODE>`` tags; a Markdown fence inside the tags is removed. Small models
    often end the code with a closing fence instead of ``</CODE>`` and keep talking: then the
    code is what stands between ``<CODE>`` and that fence."""

    tag: str = "CODE"

    def _unclosed(self, text: str) -> str:
        opened = re.search(rf"<\s*{self.tag}\s*>", text, re.IGNORECASE)
        if opened is None:
            raise FormatError(f"the answer did not contain <{self.tag}>...</{self.tag}>")
        body = text[opened.end() :].lstrip("\n")
        body = re.sub(r"^```[a-zA-Z0-9_+-]*[ \t]*\n", "", body)
        fence = re.search(r"^```", body, re.MULTILINE)
        if fence is None:
            raise FormatError(f"the answer opened <{self.tag}> but never closed it")
        return body[: fence.start()]

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
        defined = {
            n.name
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        }
        defined |= {
            t.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        if head and head not in defined:
            return f"the code must define `{head}`"
        return None

    return validate


def summary(measurement) -> dict:
    result = measurement.detail
    if not isinstance(result, RunResult):
        return {"passed": 0, "total": 0, "error": measurement.error}
    return {"passed": result.passed, "total": result.total, "statuses": result.counts()}


@dataclass
class RefineResult:
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

    @property
    def hidden_passed_before(self) -> bool:
        return _all(self.hidden_before)

    @property
    def hidden_passed_after(self) -> bool:
        return _all(self.hidden_after)

    def to_dict(self) -> dict:
        return asdict(self)


def _all(s: dict) -> bool:
    return bool(s.get("total")) and s.get("passed") == s.get("total")


def generate_initial(problem: Problem, engine: Engine, max_tokens: int | None = 384) -> str:
    """A first solution from the model; the starter code when its answer is unusable."""
    fmt = CodeFormat()
    prompt = prompts.GENERATE.format(
        problem=problem.statement, entry_point=problem.entry_point, starter=problem.starter_code
    )
    params: dict[str, Any] = {"output": fmt.spec()}
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


def initial_code(problem: Problem, engine: Engine | None, generate: bool = False) -> str:
    if problem.initial_solution and not generate:
        return problem.initial_solution
    if engine is not None:
        return generate_initial(problem, engine)
    return problem.starter_code


def refine(
    problem: Problem,
    engine: Engine,
    sandbox: Sandbox,
    run: Run,
    steps: int = 5,
    critique: bool = True,
    max_tokens: int | None = 512,
    code: str | None = None,
    progress: Any = None,
    max_retries: int = 2,
) -> RefineResult:
    """Refine a solution for up to ``steps`` steps or until its visible tests pass."""
    visible = CodeTestLoss(sandbox, problem.visible_tests, problem.entry_point, "visible tests")
    hidden = CodeTestLoss(sandbox, problem.hidden_tests, problem.entry_point, "hidden tests")
    past = run.steps()
    start = past[0]["initial_code"] if past else (code if code is not None else "")
    if not past and code is None:
        start = initial_code(problem, engine)
    variable = Variable(
        start,
        prompts.ROLE,
        requires_grad=True,
        name="code",
        validator=code_validator(problem.entry_point),
        output_format=CodeFormat(),
    )
    problem_var = Variable(problem.statement, "the programming problem", requires_grad=False)
    optimizer = TGD(
        [variable],
        engine,
        constraints=[c.format(entry_point=problem.entry_point) for c in prompts.CONSTRAINTS],
        gradient_memory=1,
        max_retries=max_retries,
        score_fn=visible.score,
        sampling={"max_tokens": max_tokens} if max_tokens else None,
    )
    first = run.restore([variable], optimizer)
    best_code, best_passed = start, -1
    history = [s.get("history_entry", {}) for s in past]
    solved = any(s.get("solved") for s in past)
    if past:
        best_code, best_passed = past[-1]["best_code"], past[-1]["best_passed"]
    for index in range(first, steps if not solved else first):
        with run.step(index) as step:
            tested = variable.value
            with step.time("tests"):
                results = visible(variable)
            passed = results.data["passed"]
            if passed > best_passed:
                best_code, best_passed = tested, passed
            solved = bool(results.data.get("all_passed"))
            reports = []
            loss = results
            graph = None
            if not solved:
                if critique:
                    with step.time("critique"):
                        loss = CodeCritique(engine, max_tokens)(problem_var, variable, results)
                with step.time("backward"):
                    loss.backward(engine)
                graph = graph_snapshot(loss)  # with the feedback, before the update clears it
                with step.time("update"):
                    reports = optimizer.step()
                optimizer.zero_grad()
            entry = {
                "step": index,
                "visible_passed": passed,
                "visible_total": results.data["total"],
            }
            history.append(entry)
            step.record(
                parameters=[variable],
                losses={
                    "visible_passed": passed,
                    "visible_total": results.data["total"],
                    "visible_pass_rate": results.data["pass_rate"],
                },
                graph=graph or graph_snapshot(loss),
                updates=reports,
                optimizer=optimizer,
                initial_code=start,
                tested_code=tested,
                best_code=best_code,
                best_passed=best_passed,
                solved=solved,
                history_entry=entry,
            )
        if progress is not None:
            progress.update(1)
        if solved:
            break
    final = visible.evaluate(variable.value).detail
    if isinstance(final, RunResult) and final.passed > best_passed:
        best_code, best_passed = variable.value, final.passed
    return RefineResult(
        problem_id=problem.id,
        initial_code=start,
        best_code=best_code,
        steps_run=len(history),
        solved_visible=_all(summary(visible.evaluate(best_code))),
        visible_before=summary(visible.evaluate(start)),
        visible_after=summary(visible.evaluate(best_code)),
        hidden_before=summary(hidden.evaluate(start)),
        hidden_after=summary(hidden.evaluate(best_code)),
        history=history,
    )
