"""The optimization workflow: (molecule, target) tasks improved for N steps by one strategy (TGD
with one parameter group per task, or the random-analogue baseline) through
:func:`textgrad_sci.loop.optimize`; every proposal scored and recorded, a Pareto front of QED vs
Vina per task."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from textgrad_sci.losses.chem.docking import DockingService
from textgrad_sci.losses.chem.edits import analogues
from textgrad_sci.losses.chem.loss import MoleculeLoss

from textgrad_sci.concurrency import parallel_map
from textgrad_sci.config import resolve_engine
from textgrad_sci.formats import TagFormat
from textgrad_sci.loop import optimize
from textgrad_sci.optimizer import TGD, Optimizer, RandomSearch
from textgrad_sci.run import Run
from textgrad_sci.variable import Variable

from . import molecule_prompts as prompts
from .pareto import pareto_front
from .tasks import MoleculeConfig, MoleculeTask
from .validation import SMILES_TAG, smiles_format, smiles_variable

_KEEP = ("smiles", "canonical", "valid", "error", "qed", "sa", "vina", "vina_error",
         "objective", "lipinski")


@dataclass
class TaskState:
    task: MoleculeTask
    variable: Variable
    loss: MoleculeLoss
    points: list[dict] = field(default_factory=list)


def _point(task: MoleculeTask, step: int, kind: str, scores: dict, **extra: Any) -> dict:
    return {"task": task.name, "target": task.target, "step": step, "kind": kind,
            **{k: scores.get(k) for k in _KEEP}, **extra}


class MoleculeOptimization:
    """The problem :func:`textgrad_sci.loop.optimize` runs: every task of ``config`` (a
    :class:`MoleculeConfig`), docking through ``service``, updates written by ``engine``."""

    def __init__(self, config: MoleculeConfig, service: DockingService, engine: Any = None) -> None:
        self.config, self.service = config, service
        textgrad = config.strategy == "textgrad"
        self.engine = resolve_engine(engine) if textgrad or engine is not None else None
        self.states = [
            TaskState(t, smiles_variable(t.smiles, name=t.name), MoleculeLoss(
                t.target, service, references=config.references, feedback=config.feedback,
                engine=self.engine, analogues=config.analogues))
            for t in config.tasks
        ]
        self._evaluations: list[dict] = []
        self._outputs: list[Variable] = []
        self._seed = config.sampling_seed
        self.optimizer = self._textgrad() if textgrad else self._random()

    def _textgrad(self) -> TGD:
        c = self.config
        groups = [{"params": [s.variable], "score_fn": s.loss.score if c.gate else None}
                  for s in self.states]
        return TGD(groups, engine=self.engine, constraints=prompts.CONSTRAINTS,
                   gradient_memory=c.gradient_memory, max_retries=c.max_retries, minimize=True,
                   sampling={"temperature": c.temperature, "max_tokens": c.max_tokens,
                             "seed": c.sampling_seed})

    def _random(self) -> Optimizer:
        def propose(value: str, rng: random.Random) -> str:
            found = analogues(value, n=self.config.analogues, seed=self._seed)
            if not found:
                raise ValueError("the molecule has no one-edit analogues")
            return rng.choice(found)[0]

        return RandomSearch([{"params": [s.variable], "score_fn": s.loss.score}
                             for s in self.states], propose)

    @property
    def parameters(self) -> list[Variable]:
        return [s.variable for s in self.states]

    def restore(self, steps: list[dict]) -> None:
        """Scored points of a resumed run, from its recorded steps."""
        by_name = {s.task.name: s for s in self.states}
        for record in steps:
            for point in record.get("evaluations", []) + record.get("proposals", []):
                if point.get("task") in by_name:
                    by_name[point["task"]].points.append(point)

    def forward(self, step: int, seed: int) -> list[Variable]:
        """Score the current molecules (the step seed picks which analogues the feedback
        lists); with ``proposals="analogues"`` the grammar allows only those."""
        self._seed = seed
        for s in self.states:
            s.loss.seed = seed
            if self.config.proposals == "analogues":
                s.variable.output_format = analogue_format(s.variable.value,
                                                           self.config.analogues, seed)
        self._outputs = parallel_map(lambda s: s.loss(s.variable), self.states)
        self._evaluations = [
            _point(s.task, step, "current", out.data, references=out.data.get("references"))
            for s, out in zip(self.states, self._outputs, strict=True)
        ]
        return self._outputs

    def record(self, step: int, updates: list) -> dict:
        """The step's losses, scored molecules and proposals, and the Pareto fronts so far."""
        proposals = []
        for s, report in zip(self.states, updates, strict=True):
            if report.new_value is not None:
                scores = s.loss.evaluate(report.new_value).numbers
                proposals.append(_point(s.task, step, "proposal", scores,
                                        accepted=report.accepted, reason=report.reason))
        for s in self.states:
            s.points.extend(p for p in self._evaluations + proposals if p["task"] == s.task.name)
        losses = {f"{s.task.name}.{key}": value
                  for s, out in zip(self.states, self._outputs, strict=True)
                  for key, value in out.data.get("numbers", {}).items()}
        return {"losses": losses, "evaluations": self._evaluations, "proposals": proposals,
                "pareto": self.pareto()}

    def progress(self, fields: dict) -> str:
        best = [e.get("objective") for e in fields["evaluations"]]
        return ", ".join("-" if b is None else f"{b:.3f}" for b in best)

    def pareto(self, extra: list[dict] = ()) -> dict[str, list[dict]]:
        """Per task, the non-dominated (QED, Vina) molecules scored so far."""
        return {
            s.task.name: [
                {k: p.get(k) for k in ("canonical", "smiles", "qed", "vina", "step", "kind")}
                for p in pareto_front(s.points + [e for e in extra if e["task"] == s.task.name])
            ]
            for s in self.states
        }

    def summary(self) -> dict:
        """Start, final and best molecule of every task (final molecules are scored now)."""
        finals = parallel_map(lambda s: s.loss.evaluate(s.variable.value).numbers, self.states)
        rows, final_points = [], []
        for s, final in zip(self.states, finals, strict=True):
            final_points.append(_point(s.task, self.config.steps, "final", final))
            points = s.points + final_points[-1:]
            scored = [p for p in points if p.get("objective") is not None]
            start = next((p for p in points if p["kind"] == "current" and p["step"] == 0), None)
            best = max(scored, key=lambda p: p["objective"]) if scored else None
            rows.append({
                "task": s.task.name, "target": s.task.target,
                "start": _brief(start), "final": _brief(final), "best": _brief(best),
                "references": s.loss.reference_scores(),
                "accepted": sum(1 for p in points if p.get("accepted")),
                "proposals": sum(1 for p in points if p["kind"] == "proposal"),
            })
        docking = {"docked": self.service.docked, "cache_hits": self.service.cache_hits}
        return {"tasks": rows, "pareto": self.pareto(final_points), "docking": docking}

    def run(self, run: Run, progress: bool = False) -> dict:
        """Run the steps of ``run`` not yet recorded; write ``pareto.json`` and the plots, then
        finish the run and its report. Returns the summary."""
        from textgrad_sci.report import finish_run

        from .plots import write_plots

        summary = optimize(self, self.optimizer, run, self.config.steps,
                           seed=self.config.sampling_seed, progress=progress,
                           desc="molecule steps", finish=False)
        (run.path / "pareto.json").write_text(json.dumps(summary["pareto"], indent=2))
        write_plots(run.path, summary)
        finish_run(run, summary)
        return summary


def analogue_format(smiles: str, n: int, seed: int) -> TagFormat:
    """Tags whose grammar allows only the ``n`` one-edit analogues the feedback listed (the
    same ``seed``); a free SMILES grammar when there are none."""
    found = analogues(smiles, n=n, seed=seed)
    if not found:
        return smiles_format()
    body = " | ".join(json.dumps(s) for s, _ in found)
    return TagFormat(tag=SMILES_TAG, body_gbnf=body)


def _brief(point: dict | None) -> dict | None:
    if point is None:
        return None
    return {k: point.get(k) for k in ("smiles", "canonical", "qed", "vina", "sa", "objective",
                                      "error", "vina_error")}
