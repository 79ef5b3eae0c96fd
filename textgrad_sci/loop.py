"""The one optimization loop every domain runs (shaped like emcee's ``sample()``).

``optimize(problem, optimizer, run, steps)`` owns restore and resume from the run directory, the
per-step seed, timings, the step record (its graph snapshot taken before feedback is cleared),
the progress bar with its ETA, early stop, interrupt and engine-failure status, and finishing the
run with its report. A domain supplies a small *problem* object:

- ``parameters``: the variables being optimized (restored by name on resume);
- ``forward(step, seed) -> Variable | list[Variable] | None``: the loss(es) of the current
  values; None for a step that only evaluates (no feedback, no update: e.g. a first answer);
- ``record(step, updates) -> dict``: the step's fields beyond the common ones (``losses`` first);
- ``summary() -> dict``: the run's summary, written to ``run.json`` and the report;
- optional ``restore(steps)`` (rebuild domain state from recorded steps), ``stop() -> bool``
  (checked before each step and after its forward: stop early, e.g. all tests pass),
  ``progress(fields) -> str`` (the progress bar's postfix), ``engine`` (for backward) and
  ``write_artifacts(run_dir, summary)`` (tables and plots, written before the report).

``for_each(run, items, key, work)`` is the same for batch jobs: one resumable step per item.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from .engines.base import EngineError
from .graph import graph_snapshot
from .run import Run
from .variable import Variable


class Problem(Protocol):
    parameters: Sequence[Variable]

    def forward(self, step: int, seed: int) -> Variable | list[Variable]: ...

    def record(self, step: int, updates: list) -> dict: ...

    def summary(self) -> dict: ...


class RunStopped(Exception):
    """A run ended early: ``status`` is ``interrupted`` or ``failed``; ``run.json`` says so."""

    def __init__(self, status: str, reason: str, run: Run) -> None:
        super().__init__(f"{reason} (run {status}; resume with --resume {run.path})")
        self.status, self.reason, self.run = status, reason, run

    @property
    def exit_code(self) -> int:
        return 130 if self.status == "interrupted" else 1


def _losses(value: Variable | Sequence[Variable] | None) -> list[Variable]:
    if value is None:
        return []
    return [value] if isinstance(value, Variable) else list(value)


def _bar(total: int, initial: int, desc: str, progress: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=min(initial, total), desc=desc, unit="step",
                file=sys.stderr, disable=not progress, dynamic_ncols=True)


def guarded(run: Run, body: Callable[[], Any]) -> Any:
    """Run ``body``; Ctrl-C marks the run ``interrupted``, an engine failure (or any other error)
    ``failed``, each with the reason in ``run.json``. Raises :class:`RunStopped` for the first
    two (the CLI prints one line); other errors are re-raised after the run is marked."""
    try:
        return body()
    except KeyboardInterrupt:
        run.finish({"error": "interrupted by the user"}, status="interrupted")
        raise RunStopped("interrupted", "interrupted", run) from None
    except EngineError as err:
        run.finish({"error": f"the engine failed: {err}"}, status="failed")
        raise RunStopped("failed", f"the engine failed: {err}", run) from None
    except Exception as err:
        run.finish({"error": f"{type(err).__name__}: {err}"}, status="failed")
        raise


def optimize(
    problem: Problem,
    optimizer: Any,
    run: Run,
    steps: int,
    *,
    seed: int = 0,
    progress: bool = True,
    desc: str = "steps",
    finish: bool = True,
) -> dict:
    """Run the steps of ``run`` not yet recorded, up to ``steps``; return the summary.

    Step ``i`` uses seed ``seed + i`` (for the optimizer's sampling and the problem's tools).
    With ``finish`` the run is marked completed and its report written.
    """
    engine = getattr(problem, "engine", None)

    def body() -> dict:
        start = run.restore(problem.parameters, optimizer)
        if hasattr(problem, "restore"):
            problem.restore(run.steps())
        bar = _bar(steps, start, desc, progress)
        try:
            for index in range(start, steps):
                if _stopped(problem):
                    break
                fields = _one_step(problem, optimizer, run, index, seed + index, engine)
                bar.update(1)
                if hasattr(problem, "progress"):
                    bar.set_postfix_str(problem.progress(fields))
        finally:
            bar.close()
        return problem.summary()

    summary = guarded(run, body)
    if finish:
        from .report import finish_run

        if hasattr(problem, "write_artifacts"):
            problem.write_artifacts(run.path, summary)
        finish_run(run, summary)
    return summary


def _stopped(problem: Any) -> bool:
    return bool(problem.stop()) if hasattr(problem, "stop") else False


def _one_step(problem, optimizer, run: Run, index: int, seed: int, engine) -> dict:
    with run.step(index) as recorder:
        optimizer.set_seed(seed)
        with recorder.time("forward"):
            losses = _losses(problem.forward(index, seed))
        reports: list = []
        if losses and not _stopped(problem):
            if optimizer.uses_feedback:
                with recorder.time("backward"):
                    for loss in losses:
                        loss.backward(engine)
            graph = graph_snapshot(*losses)  # with the feedback, before zero_grad clears it
            with recorder.time("update"):
                reports = optimizer.step()
        else:
            graph = graph_snapshot(*losses) if losses else None
        fields = problem.record(index, reports)
        recorder.record(parameters=problem.parameters, graph=graph, updates=reports,
                        optimizer=optimizer, **fields)
        optimizer.zero_grad()
    return fields


def for_each(
    run: Run,
    items: Iterable[Any],
    key: Callable[[Any], str],
    work: Callable[[Any], dict],
    *,
    progress: bool = True,
    desc: str = "items",
) -> list[dict]:
    """One recorded step per item (``work(item)`` returns its fields); items a killed run already
    recorded are skipped. Returns every item's fields, in order. Failures mark the run as
    :func:`guarded` does; the caller finishes it."""
    items = list(items)
    done = {s.get("item"): s for s in run.steps()}

    def body() -> list[dict]:
        rows = []
        bar = _bar(len(items), 0, desc, progress)
        try:
            for index, item in enumerate(items):
                name = key(item)
                if name not in done:
                    with run.step(index) as recorder:
                        with recorder.time("item"):
                            fields = work(item)
                        recorder.record(item=name, **fields)
                    done[name] = {"item": name, **fields}
                rows.append(done[name])
                bar.update(1)
        finally:
            bar.close()
        return rows

    return guarded(run, body)
