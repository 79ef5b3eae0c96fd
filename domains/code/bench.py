"""The code benchmark with TextGrad's protocol (its LeetCode Hard experiment): per problem a
zero-shot solution, then test-time refinement from it by each method (``textgrad``: TGD on the
visible tests' results and a critique; ``reflexion``: the model's own reflection on the same
results, then a rewrite, at the same two calls a step; ``resample``: blind fresh samples). The
metric is the completion rate: the share of problems whose solution passes all hidden tests
(host-judged), at each iteration; a method's solution at iteration k is its best code by
visible tests after k updates.

Each (method, problem) is one step of the bench run (:func:`textgrad_sci.loop.for_each`); a
refinement has its own resumable run under ``RUN_DIR/problems/<method>/<id>``; a killed bench
skips what it finished.
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from textgrad_sci.losses.code_tests import CodeTestLoss
from textgrad_sci.losses.sandbox import RunResult, Sandbox

from textgrad_sci.engines.base import EngineError
from textgrad_sci.loop import RunStopped, for_each
from textgrad_sci.run import Run
from textgrad_sci.usage import UsageMeter, metering

from .problems import Problem
from .refine import generate_initial, refine

if TYPE_CHECKING:
    from textgrad_sci.engines.base import Engine

ZERO_SHOT = "zero-shot"
STRATEGY = {"textgrad": "tgd", "reflexion": "reflexion", "resample": "resample"}
METHODS = (ZERO_SHOT, *STRATEGY)


def parse_methods(text: str) -> tuple[str, ...]:
    """``"textgrad,reflexion"`` -> ``("zero-shot", "textgrad", "reflexion")``: zero-shot always
    runs first (the refinements start from its code). ValueError for an unknown name."""
    names = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in names if m not in METHODS]
    if unknown or not names:
        raise ValueError(f"--methods {text!r}: unknown method {', '.join(unknown) or '(none)'}; "
                         f"choose from {', '.join(METHODS)} (comma-separated)")
    return (ZERO_SHOT, *dict.fromkeys(m for m in names if m != ZERO_SHOT))


def problem_dir(run: Run, method: str, problem_id: str) -> Path:
    return run.path / "problems" / method / re.sub(r"[^A-Za-z0-9_.-]+", "_", problem_id)


def completed(result: object) -> bool:
    """Whether a test run passed every test by the host's own comparison."""
    return isinstance(result, RunResult) and result.total > 0 and (
        result.host_passed == result.total)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a rate of ``k`` in ``n``."""
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, center - half), min(1.0, center + half))


def _at(values: list, k: int):
    return values[min(k, len(values) - 1)]


def completion_rates(rows: list[dict], steps: int) -> dict[str, list[float]]:
    """Per method, the completion rate at iterations 0..steps (a method that stopped early, or
    zero-shot, keeps its last solution)."""
    out: dict[str, list[float]] = {}
    for method in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        out[method] = [sum(bool(_at(r["completed"], k)) for r in mine) / len(mine)
                       for k in range(steps + 1)]
    return out


def summarize(rows: list[dict], steps: int) -> dict:
    """Per method: completion rate per iteration, the final one with its 95% interval, problems
    gained and lost against zero-shot (paired), model calls and seconds per problem."""
    rates = completion_rates(rows, steps)
    base = {r["problem"]: bool(r["completed"][-1]) for r in rows if r["method"] == ZERO_SHOT}
    methods = {}
    for method, per_iteration in rates.items():
        mine = [r for r in rows if r["method"] == method]
        done = sum(bool(r["completed"][-1]) for r in mine)
        ends = {r["problem"]: bool(r["completed"][-1]) for r in mine}
        methods[method] = {
            "problems": len(mine),
            "completion_rate": per_iteration,
            "final": done / len(mine),
            "ci95": list(wilson(done, len(mine))),
            "gained": sum(v and not base.get(p, False) for p, v in ends.items()),
            "lost": sum(base.get(p, False) and not v for p, v in ends.items()),
            "calls_per_problem": sum(r["calls"] for r in mine) / len(mine),
            "seconds_per_problem": sum(r["seconds"] for r in mine) / len(mine),
        }
    problems = len({r["problem"] for r in rows})
    return {"problems": problems, "steps": steps, "methods": methods}


def _row(method: str, problem: Problem, codes: list[str], visible: CodeTestLoss,
         hidden: CodeTestLoss) -> dict:
    """The per-iteration record of one method's solutions (``codes``: one per iteration)."""
    shown = [visible.evaluate(c).detail for c in codes]
    judged = [hidden.evaluate(c).detail for c in codes]
    count = lambda r: r.host_passed if isinstance(r, RunResult) else 0  # noqa: E731
    return {
        "method": method, "problem": problem.id, "steps": len(codes) - 1,
        "completed": [completed(r) for r in judged],
        "hidden_passed": [count(r) for r in judged], "hidden_total": len(problem.hidden_tests),
        "visible_passed": [count(r) for r in shown], "visible_total": len(problem.visible_tests),
        "visible_before": completed(shown[0]), "visible_after": completed(shown[-1]),
        "hidden_before": completed(judged[0]), "hidden_after": completed(judged[-1]),
        "hidden_passed_before": count(judged[0]), "hidden_passed_after": count(judged[-1]),
    }


def bench(problems: list[Problem], engine: Engine, sandbox: Sandbox, run: Run, steps: int = 3,
          critique: bool = True, max_tokens: int | None = 512, generate: bool = True,
          progress: bool = False, max_retries: int = 2,
          methods: tuple[str, ...] = (ZERO_SHOT, "textgrad")) -> list[dict]:
    """Every (method, problem): one row (and one step of ``run``). ``generate=False``: a
    problem's own initial solution, when it has one, is the zero-shot code (no model call)."""
    methods = parse_methods(",".join(methods))
    starts = {s["row"]["problem"]: s["best_code"] for s in run.steps()
              if s.get("row", {}).get("method") == ZERO_SHOT}
    losses: dict[str, tuple[CodeTestLoss, CodeTestLoss]] = {}
    rows: list[dict] = [s["row"] for s in run.steps() if "row" in s]

    def tests_of(problem: Problem) -> tuple[CodeTestLoss, CodeTestLoss]:
        if problem.id not in losses:
            losses.clear()  # one problem at a time
            losses[problem.id] = tuple(  # type: ignore[assignment]
                CodeTestLoss(sandbox, tests, problem.entry_point, label)
                for tests, label in ((problem.visible_tests, "visible tests"),
                                     (problem.hidden_tests, "hidden tests")))
        return losses[problem.id]

    def solve(method: str, problem: Problem) -> tuple[list[str], str]:
        if method == ZERO_SHOT:
            given = problem.initial_solution and not generate
            code = problem.initial_solution if given else generate_initial(
                problem, engine, max_tokens)
            starts[problem.id] = code
            return [code], code
        sub = Run(problem_dir(run, method, problem.id),
                  {"problem": problem.id, "method": method}, engine)
        try:
            result = refine(problem, engine, sandbox, sub, steps, critique, max_tokens,
                            code=starts[problem.id], max_retries=max_retries,
                            strategy=STRATEGY[method])
        except RunStopped as err:  # the bench run is stopped the same way, with this reason
            if err.status == "interrupted":
                raise KeyboardInterrupt from None
            raise EngineError(err.reason.removeprefix("the engine failed: ")) from None
        sub.finish({"solved_visible": result.solved_visible, "best_code": result.best_code})
        codes = result.best_by_iteration
        return codes + [codes[-1]] * (steps + 1 - len(codes)), result.best_code

    def work(item: tuple[str, Problem]) -> dict:
        method, problem = item
        started, meter = time.perf_counter(), UsageMeter()
        with metering(meter):
            codes, best = solve(method, problem)
        row = {**_row(method, problem, codes, *tests_of(problem)),
               "calls": meter.total.calls, "seconds": round(time.perf_counter() - started, 3)}
        rows.append(row)
        rate = summarize(rows, steps)["methods"][method]["final"]
        return {"losses": {"completed": int(row["completed"][-1]),
                           "hidden_passed": row["hidden_passed_after"],
                           "completion_rate_so_far": rate},
                "problem": problem.id, "method": method, "row": row, "best_code": best}

    items = [(m, p) for p in problems for m in methods]
    done = for_each(run, items, lambda it: f"{it[0]}/{it[1].id}", work, progress=progress,
                    desc="problems x methods")
    return [s["row"] for s in done]


def align(rows: list[tuple[str, ...]]) -> str:
    """Rows of cells as plain left-aligned columns."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def table(rows: list[dict], steps: int) -> str:
    """Plain aligned text: per problem each method's hidden tests passed at the end (``*``: all,
    the problem is completed), then per method the completion rate per iteration, the final
    rate with its 95% interval, problems gained/lost against zero-shot, calls and seconds."""
    s = summarize(rows, steps)
    methods = list(s["methods"])
    cell = {(r["problem"], r["method"]): r for r in rows}
    lines = [("problem", *methods)]
    for problem in dict.fromkeys(r["problem"] for r in rows):
        cells = []
        for m in methods:
            r = cell.get((problem, m))
            cells.append("—" if r is None else f"{r['hidden_passed_after']}/{r['hidden_total']}"
                         + (" *" if r["completed"][-1] else ""))
        lines.append((problem, *cells))
    stats = s["methods"]
    lines.append(("completion rate", *(f"{stats[m]['final']:.2f}" for m in methods)))
    lines.append(("95% interval", *("[{:.2f}, {:.2f}]".format(*stats[m]["ci95"])
                                    for m in methods)))
    lines.append(("gained/lost vs zero-shot", *(f"+{stats[m]['gained']}/-{stats[m]['lost']}"
                                                for m in methods)))
    lines.append(("model calls per problem", *(f"{stats[m]['calls_per_problem']:.1f}"
                                               for m in methods)))
    lines.append(("seconds per problem", *(f"{stats[m]['seconds_per_problem']:.1f}"
                                           for m in methods)))
    per_iteration = [("completion by iteration", *(str(k) for k in range(steps + 1)))]
    for m in methods:
        per_iteration.append((m, *(f"{x:.2f}" for x in stats[m]["completion_rate"])))
    return align(lines) + "\n\n" + align(per_iteration)
