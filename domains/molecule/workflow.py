"""The optimization workflow: (molecule, target) tasks improved by TGD for N steps, every
proposal scored and recorded in a run directory, a Pareto front of QED vs Vina per task."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from textgrad_sci.losses.chem.docking import DockingService
from textgrad_sci.losses.chem.edits import analogues
from textgrad_sci.losses.chem.loss import MoleculeLoss

from textgrad_sci.concurrency import parallel_map
from textgrad_sci.config import resolve_engine
from textgrad_sci.formats import TagFormat
from textgrad_sci.graph import graph_snapshot
from textgrad_sci.optimizer import TGD
from textgrad_sci.run import Run
from textgrad_sci.variable import Variable

from . import molecule_prompts as prompts
from .pareto import pareto_front
from .validation import SMILES_TAG, smiles_format, smiles_variable


@dataclass(frozen=True)
class Task:
    """One molecule to optimize against one target; ``name`` identifies it in the run."""

    name: str
    smiles: str
    target: str


@dataclass
class OptimizeConfig:
    steps: int = 10
    gate: bool = False
    feedback: str = "tool"
    gradient_memory: int = 2
    max_retries: int = 2
    temperature: float = 0.7
    max_tokens: int = 128
    seed: int = 1234
    references: bool = True
    proposals: str = "free"
    analogues: int = 4

    def __post_init__(self) -> None:
        if self.proposals not in ("free", "analogues"):
            raise ValueError("proposals must be 'free' (any SMILES) or 'analogues'")

    def to_dict(self) -> dict:
        return asdict(self)


class _Optimizers:
    """Several TGD optimizers stored and restored as one (for ``Run.record``/``restore``)."""

    def __init__(self, optimizers: dict[str, TGD]) -> None:
        self.optimizers = optimizers

    def state_dict(self) -> dict:
        return {name: opt.state_dict() for name, opt in self.optimizers.items()}

    def load_state_dict(self, state: dict) -> None:
        for name, opt in self.optimizers.items():
            if name in state:
                opt.load_state_dict(state[name])


@dataclass
class TaskState:
    task: Task
    variable: Variable
    loss: MoleculeLoss
    optimizer: TGD
    points: list[dict] = field(default_factory=list)


def _point(task: Task, step: int, kind: str, scores: dict, **extra: Any) -> dict:
    keep = ("smiles", "canonical", "valid", "error", "qed", "sa", "vina", "vina_error",
            "objective", "lipinski")
    return {"task": task.name, "target": task.target, "step": step, "kind": kind,
            **{k: scores.get(k) for k in keep}, **extra}


class MoleculeOptimization:
    """Optimize every task in ``tasks`` with ``engine``; docking through ``service``."""

    def __init__(
        self,
        tasks: Sequence[Task],
        service: DockingService,
        engine: Any = None,
        config: OptimizeConfig | None = None,
    ) -> None:
        if not tasks:
            raise ValueError("no molecules to optimize")
        names = [t.name for t in tasks]
        if len(set(names)) != len(names):
            raise ValueError(f"task names must be unique: {names}")
        self.config = config or OptimizeConfig()
        self.engine = resolve_engine(engine)
        self.service = service
        self.states: list[TaskState] = []
        for task in tasks:
            variable = smiles_variable(task.smiles, name=task.name)
            loss = MoleculeLoss(
                task.target, service, references=self.config.references,
                feedback=self.config.feedback, engine=self.engine,
                analogues=self.config.analogues,
            )
            optimizer = TGD(
                [variable], engine=self.engine, constraints=prompts.CONSTRAINTS,
                gradient_memory=self.config.gradient_memory, max_retries=self.config.max_retries,
                score_fn=loss.score if self.config.gate else None, minimize=True,
                sampling={"temperature": self.config.temperature,
                          "max_tokens": self.config.max_tokens, "seed": self.config.seed},
            )
            self.states.append(TaskState(task, variable, loss, optimizer))
        self.optimizers = _Optimizers({s.task.name: s.optimizer for s in self.states})

    @property
    def variables(self) -> list[Variable]:
        return [s.variable for s in self.states]

    def restore(self, run: Run) -> int:
        """Continue a run: values, optimizer memory and scored points from its steps."""
        start = run.restore(self.variables, self.optimizers)
        by_name = {s.task.name: s for s in self.states}
        for record in run.steps():
            for point in record.get("evaluations", []) + record.get("proposals", []):
                if point.get("task") in by_name:
                    by_name[point["task"]].points.append(point)
        return start

    def step(self, index: int) -> dict:
        """Score the current molecules, send feedback, propose new ones, score the proposals.
        Returns the fields of this step's run record."""
        for s in self.states:
            s.optimizer.sampling["seed"] = s.loss.seed = self.config.seed + index
        outputs = parallel_map(lambda s: s.loss(s.variable), self.states)
        evaluations = [
            _point(s.task, index, "current", out.data, references=out.data.get("references"))
            for s, out in zip(self.states, outputs, strict=True)
        ]
        for out in outputs:
            out.backward(self.engine)
        if self.config.proposals == "analogues":
            for s in self.states:
                s.variable.output_format = analogue_format(
                    s.variable.value, self.config.analogues, s.loss.seed
                )
        reports = parallel_map(lambda s: s.optimizer.step()[0], self.states)
        proposals = []
        for s, report in zip(self.states, reports, strict=True):
            if report.new_value is not None:
                scores = s.loss.evaluate(report.new_value).to_dict()
                proposals.append(_point(s.task, index, "proposal", scores,
                                        accepted=report.accepted, reason=report.reason))
            s.optimizer.zero_grad()
        for s in self.states:
            s.points.extend(p for p in evaluations + proposals if p["task"] == s.task.name)
        losses = {}
        for s, out in zip(self.states, outputs, strict=True):
            for key, value in out.data.get("numbers", {}).items():
                losses[f"{s.task.name}.{key}"] = value
        return {
            "losses": losses, "graph": graph_snapshot(*outputs), "updates": reports,
            "evaluations": evaluations, "proposals": proposals, "pareto": self.pareto(),
        }

    def pareto(self) -> dict[str, list[dict]]:
        """Per task, the non-dominated (QED, Vina) molecules scored so far."""
        return {
            s.task.name: [
                {k: p.get(k) for k in ("canonical", "smiles", "qed", "vina", "step", "kind")}
                for p in pareto_front(s.points)
            ]
            for s in self.states
        }

    def run(
        self, run: Run, on_step: Callable[[int, dict], None] | None = None
    ) -> dict:
        """Run the remaining steps of ``run`` (all of them for a new run) and finish scoring."""
        self.restore(run)
        for index in run.remaining(self.config.steps):
            with run.step(index) as s:
                with s.time("step"):
                    fields = self.step(index)
                s.record(parameters=self.variables, optimizer=self.optimizers, **fields)
            if on_step is not None:
                on_step(index, fields)
        return self.summary(run)

    def summary(self, run: Run | None = None) -> dict:
        """Start, final and best molecule of every task (final molecules are scored now)."""
        finals = parallel_map(lambda s: s.loss.evaluate(s.variable.value).to_dict(), self.states)
        rows = []
        for s, final in zip(self.states, finals, strict=True):
            s.points.append(_point(s.task, self.config.steps, "final", final))
            scored = [p for p in s.points if p.get("objective") is not None]
            start = next((p for p in s.points if p["kind"] == "current" and p["step"] == 0), None)
            best = max(scored, key=lambda p: p["objective"]) if scored else None
            rows.append({
                "task": s.task.name, "target": s.task.target,
                "start": _brief(start), "final": _brief(final), "best": _brief(best),
                "references": s.loss.reference_scores(),
                "accepted": sum(1 for p in s.points if p.get("accepted")),
                "proposals": sum(1 for p in s.points if p["kind"] == "proposal"),
            })
        docking = {"docked": self.service.docked, "cache_hits": self.service.cache_hits}
        summary = {"tasks": rows, "pareto": self.pareto(), "docking": docking}
        if run is not None:
            (run.path / "pareto.json").write_text(json.dumps(summary["pareto"], indent=2))
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
