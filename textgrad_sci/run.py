"""Run directories: every step as a JSON line, resumable after a crash, never a secret written.

Layout: ``run.json`` (settings, engine, status), ``steps.jsonl`` (one line per completed step),
``events.jsonl`` (failures, retries, notes), plus whatever plots a domain writes there.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .secrets import redact
from .usage import UsageMeter, metering
from .variable import Variable


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def default_run_dir(command: str) -> Path:
    """``runs/<command>-<UTC timestamp>``: where a CLI run goes when no directory is given."""
    return Path("runs") / f"{command}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"


def _append_line(path: Path, record: dict) -> None:
    line = json.dumps(redact(record), ensure_ascii=False, default=str) + "\n"
    with open(path, "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def read_jsonl(path: Path) -> list[dict]:
    """Complete JSON lines of ``path``; a torn last line (a crash mid-write) is ignored."""
    if not path.exists():
        return []
    records = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                break
    return records


class StepRecorder:
    """Collects one step's record; written only if the step's block finishes without error."""

    def __init__(self, step: int):
        self.step = step
        self.fields: dict[str, Any] = {}
        self.timings: dict[str, float] = {}
        self.meter = UsageMeter()

    @contextlib.contextmanager
    def time(self, phase: str) -> Iterator[None]:
        """Time a phase of the step (forward, backward, update, tools...)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] = self.timings.get(phase, 0.0) + time.perf_counter() - started

    def record(
        self,
        parameters: Sequence[Variable] = (),
        losses: dict[str, Any] | None = None,
        graph: dict | None = None,
        updates: Sequence[Any] = (),
        optimizer: Any = None,
        **extra: Any,
    ) -> None:
        """Set what this step's line holds. ``extra`` fields (tool numbers...) are kept as given."""
        self.fields["parameters"] = {p.name: p.value for p in parameters}
        if losses is not None:
            self.fields["losses"] = losses
        if graph is not None:
            self.fields["graph"] = graph
        if updates:
            self.fields["updates"] = [u.to_dict() if hasattr(u, "to_dict") else u for u in updates]
        if optimizer is not None:
            self.fields["optimizer"] = optimizer.state_dict()
        self.fields.update(extra)


class Run:
    """A run directory. ``Run(path, config)`` creates it or, if it holds a run, reopens it."""

    def __init__(
        self, directory: str | os.PathLike, config: dict | None = None, engine: Any = None
    ):
        self.path = Path(directory)
        self.path.mkdir(parents=True, exist_ok=True)
        self.meta_path = self.path / "run.json"
        self.steps_path = self.path / "steps.jsonl"
        self.events_path = self.path / "events.jsonl"
        self._lock = threading.Lock()
        if self.meta_path.exists():
            self.meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
            self.meta["resumed"] = self.meta.get("resumed", 0) + 1
            self.meta["status"] = "running"
        else:
            self.meta = {
                "created": _now(),
                "status": "running",
                "config": config or {},
                "engine": engine.describe() if hasattr(engine, "describe") else engine,
            }
        self._write_meta()
        self.usage = UsageMeter()

    @staticmethod
    def saved_config(directory: str | os.PathLike) -> dict | None:
        """The settings of the run in ``directory``, or None when it holds no run."""
        meta = Path(directory) / "run.json"
        if not meta.exists():
            return None
        return json.loads(meta.read_text(encoding="utf-8")).get("config", {})

    @property
    def config(self) -> dict:
        return self.meta.get("config", {})

    def set_config(self, config: dict) -> None:
        """Replace the recorded settings (a resumed run given new options)."""
        self.meta["config"] = config
        self._write_meta()

    def _write_meta(self) -> None:
        tmp = self.meta_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(redact(self.meta), indent=2, default=str), encoding="utf-8")
        os.replace(tmp, self.meta_path)

    # -- steps ------------------------------------------------------------------------------------
    def steps(self) -> list[dict]:
        return read_jsonl(self.steps_path)

    @property
    def next_step(self) -> int:
        steps = self.steps()
        return steps[-1]["step"] + 1 if steps else 0

    def remaining(self, total: int) -> range:
        """The step indices still to run out of ``total`` (all of them for a new run)."""
        return range(self.next_step, total)

    @contextlib.contextmanager
    def step(self, index: int) -> Iterator[StepRecorder]:
        """Record one step: usage and wall time are measured, the line written on success."""
        recorder = StepRecorder(index)
        started = time.perf_counter()
        try:
            with metering(recorder.meter), metering(self.usage):
                yield recorder
        except BaseException as err:
            self.event("step_failed", step=index, error=f"{type(err).__name__}: {err}")
            raise
        recorder.timings["total"] = time.perf_counter() - started
        record = {
            "step": index,
            "time": _now(),
            **recorder.fields,
            "usage": recorder.meter.snapshot(),
            "timings": {k: round(v, 4) for k, v in recorder.timings.items()},
        }
        with self._lock:
            _append_line(self.steps_path, record)

    def restore(self, parameters: Sequence[Variable], optimizer: Any = None) -> int:
        """Set parameters (by name) and the optimizer's state from the last completed step;
        return the index of the next step to run."""
        steps = self.steps()
        if not steps:
            return 0
        last = steps[-1]
        saved = last.get("parameters", {})
        for p in parameters:
            if p.name in saved:
                p.value = saved[p.name]
        if optimizer is not None and "optimizer" in last:
            optimizer.load_state_dict(last["optimizer"])
        return last["step"] + 1

    # -- events and status ------------------------------------------------------------------------
    def event(self, kind: str, **fields: Any) -> None:
        """Record a failure, retry or note outside the step lines."""
        with self._lock:
            _append_line(self.events_path, {"time": _now(), "kind": kind, **fields})

    def events(self) -> list[dict]:
        return read_jsonl(self.events_path)

    def finish(self, summary: dict | None = None, status: str = "completed") -> None:
        self.meta["status"] = status
        self.meta["finished"] = _now()
        self.meta["usage"] = self.usage.snapshot()["total"]
        if summary is not None:
            self.meta["summary"] = summary
        self._write_meta()
