"""Batch refinement over a dataset: pass rates on hidden tests before and after refinement.

Each problem is one step of the bench run (:func:`textgrad_sci.loop.for_each`) and has its own
resumable run under ``RUN_DIR/problems/<id>``; a killed bench skips the problems it finished.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textgrad_sci.losses.sandbox import Sandbox

from textgrad_sci.engines.base import EngineError
from textgrad_sci.loop import RunStopped, for_each
from textgrad_sci.run import Run

from .problems import Problem
from .refine import all_passed, refine

if TYPE_CHECKING:
    from textgrad_sci.engines.base import Engine


def problem_dir(run: Run, problem_id: str):
    return run.path / "problems" / re.sub(r"[^A-Za-z0-9_.-]+", "_", problem_id)


@dataclass
class BenchSummary:
    problems: int
    hidden_before: float
    hidden_after: float
    visible_before: float
    visible_after: float

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def summarize(rows: list[dict]) -> BenchSummary:
    """The share of problems passing all their hidden (visible) tests before and after."""
    rate = lambda key: sum(bool(r[key]) for r in rows) / (len(rows) or 1)  # noqa: E731
    keys = ("hidden_before", "hidden_after", "visible_before", "visible_after")
    return BenchSummary(len(rows), *(rate(k) for k in keys))


def bench(problems: list[Problem], engine: Engine, sandbox: Sandbox, run: Run, steps: int = 3,
          critique: bool = True, max_tokens: int | None = 512, generate: bool = True,
          progress: bool = False, max_retries: int = 2, strategy: str = "tgd") -> list[dict]:
    """Refine every problem's solution; one row (and one step of ``run``) per problem."""
    rows = [s["row"] for s in run.steps()]

    def work(problem: Problem) -> dict:
        sub = Run(problem_dir(run, problem.id), {"problem": problem.id}, engine)
        try:
            result = refine(problem, engine, sandbox, sub, steps, critique, max_tokens,
                            max_retries=max_retries, generate=generate, strategy=strategy)
        except RunStopped as err:  # the bench run is stopped the same way, with this reason
            if err.status == "interrupted":
                raise KeyboardInterrupt from None
            raise EngineError(err.reason.removeprefix("the engine failed: ")) from None
        sub.finish({"solved_visible": result.solved_visible})
        row = {"problem": problem.id, "steps": result.steps_run,
               "visible_before": all_passed(result.visible_before),
               "visible_after": all_passed(result.visible_after),
               "hidden_before": all_passed(result.hidden_before),
               "hidden_after": all_passed(result.hidden_after),
               "hidden_passed_before": result.hidden_before.get("passed", 0),
               "hidden_passed_after": result.hidden_after.get("passed", 0),
               "hidden_total": result.hidden_after.get("total", 0)}
        rows.append(row)
        losses = {"hidden_passed_before": row["hidden_passed_before"],
                  "hidden_passed_after": row["hidden_passed_after"],
                  "hidden_pass_rate_so_far": summarize(rows).hidden_after}
        return {"losses": losses, "problem": problem.id, "row": row,
                "best_code": result.best_code}

    done = for_each(run, problems, lambda p: p.id, work, progress=progress, desc="problems")
    return [s["row"] for s in done]


def align(rows: list[tuple[str, ...]]) -> str:
    """Rows of cells as plain left-aligned columns."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def table(rows: list[dict]) -> str:
    """Plain aligned text: one row per problem, then the pass rates."""
    ok = lambda passed: "pass" if passed else "fail"  # noqa: E731
    lines = [("problem", "steps", "visible before", "visible after", "hidden before",
              "hidden after")]
    for r in rows:
        total = r["hidden_total"]
        lines.append((r["problem"], str(r["steps"]), ok(r["visible_before"]),
                      ok(r["visible_after"]), f"{r['hidden_passed_before']}/{total}",
                      f"{r['hidden_passed_after']}/{total}"))
    s = summarize(rows)
    rates = (s.visible_before, s.visible_after, s.hidden_before, s.hidden_after)
    lines.append(("pass rate", "", *(f"{x:.2f}" for x in rates)))
    return align(lines)
