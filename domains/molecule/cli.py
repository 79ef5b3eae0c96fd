"""``textgrad-sci molecule``: optimize molecules against DOCKSTRING targets, score, list targets."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from textgrad_sci.losses.chem.cache import default_cache_dir
from textgrad_sci.losses.chem.targets import TargetError, list_targets, load_target

from textgrad_sci.run import default_run_dir

DEFAULTS = {"steps": 10, "exhaustiveness": 8, "seed": 974528263, "timeout": 600.0}


def register(subparsers) -> None:
    parser = subparsers.add_parser("molecule", help="optimize molecules (RDKit QED + Vina)")
    sub = parser.add_subparsers(dest="molecule_command", metavar="ACTION")
    parser.set_defaults(handler=lambda _a: parser.print_help() or 0)

    opt = sub.add_parser("optimize", help="improve SMILES against a target with an LLM")
    opt.add_argument("--smiles", action="append", default=[], help="starting SMILES (repeatable)")
    opt.add_argument("--batch", help="CSV (smiles[,target][,name]) or SMILES file of tasks")
    opt.add_argument("--target", help="DOCKSTRING target, e.g. DRD2 (see 'molecule targets')")
    opt.add_argument("--steps", type=int, help=f"iterations (default {DEFAULTS['steps']})")
    opt.add_argument("--gate", action="store_true", help="keep a step only if the score improves")
    opt.add_argument("--feedback", choices=["tool", "llm"], default="tool",
                     help="tool: tool text + rules as feedback; llm: the model critiques")
    opt.add_argument("--proposals", choices=["free", "analogues"],
                     help="free: any SMILES (grammar: SMILES alphabet); analogues: the model "
                     "picks one of the RDKit one-edit analogues listed in its feedback "
                     "(default: analogues for the local model, else free)")
    opt.add_argument("--temperature", type=float, default=0.7)
    opt.add_argument("--max-tokens", type=int, default=128)
    opt.add_argument("--no-references", action="store_true", help="skip reference drugs")
    _engine_and_docking_args(opt)
    opt.add_argument("--run-dir", help="run directory (default runs/molecule-<UTC time>)")
    opt.add_argument("--resume", help="continue the run in this directory")
    opt.add_argument("--no-progress", action="store_true")
    opt.set_defaults(handler=optimize_command)

    score = sub.add_parser("score", help="score SMILES: QED, Lipinski, SA and Vina")
    score.add_argument("smiles", nargs="+")
    score.add_argument("--target", help="dock against this target too")
    _engine_and_docking_args(score, engine=False)
    score.set_defaults(handler=score_command)

    targets = sub.add_parser("targets", help="list the DOCKSTRING targets")
    targets.set_defaults(handler=lambda _a: print("\n".join(list_targets())) or 0)


def _engine_and_docking_args(p: argparse.ArgumentParser, engine: bool = True) -> None:
    if engine:
        p.add_argument("--engine", help="engine spec (default: the process default, 'local')")
    p.add_argument("--exhaustiveness", type=int, help="Vina exhaustiveness (default 8)")
    p.add_argument("--cpu", type=int, help="Vina threads per dock (default: all cores)")
    p.add_argument("--seed", type=int, help="nonzero seed for embedding and Vina")
    p.add_argument("--timeout", type=float, help="seconds before a dock is killed (default 600)")
    p.add_argument("--workers", type=int, default=1, help="parallel docking processes")
    p.add_argument("--scheduler", help="dask.distributed scheduler address for docking")
    p.add_argument("--cache-dir", help=f"docking cache (default {default_cache_dir()}/docking)")


def _service(args: argparse.Namespace, settings: dict):
    from textgrad_sci.losses.chem.docking import DockingService, DockSettings

    executor = None
    if args.scheduler:
        from dask.distributed import Client

        executor = Client(args.scheduler)
    cache = Path(args.cache_dir) if args.cache_dir else None
    if settings.get("cpu") is None and not args.scheduler:  # share the cores among the workers
        settings = {**settings, "cpu": max(1, (os.cpu_count() or 1) // max(1, args.workers))}
    return DockingService(DockSettings(**settings), executor=executor, max_workers=args.workers,
                          cache=cache)


def _settings(args: argparse.Namespace, saved: dict | None = None) -> dict:
    out = dict(saved or {})
    for key in ("exhaustiveness", "cpu", "seed", "timeout"):
        value = getattr(args, key)
        if value is not None:
            out[key] = value
        elif key != "cpu":
            out.setdefault(key, DEFAULTS[key])
    return out


def score_command(args: argparse.Namespace) -> int:
    from textgrad_sci.losses.chem.loss import MoleculeLoss, render

    try:
        target = load_target(args.target).name if args.target else None
    except TargetError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    with _service(args, _settings(args)) as service:
        loss = MoleculeLoss(target, service if target else None)
        for smiles in args.smiles:
            scores = loss.evaluate(smiles)
            print(render(scores, loss.reference_scores() if scores.vina is not None else None))
            print()
    return 0


def _tasks_and_config(args: argparse.Namespace) -> tuple[list, dict]:
    from .tasks import read_tasks
    from .workflow import Task

    if args.resume or (args.run_dir and (Path(args.run_dir) / "run.json").exists()):
        run_dir = Path(args.resume or args.run_dir)
        meta = json.loads((run_dir / "run.json").read_text())
        config = meta["config"]
        if args.steps is not None:
            config["steps"] = args.steps
        config["docking"] = _settings(args, config.get("docking"))
        return [Task(**t) for t in config["tasks"]], config
    if args.batch:
        tasks = read_tasks(args.batch, args.target)
    else:
        if not args.smiles:
            raise ValueError("give --smiles SMILES (repeatable) or --batch FILE")
        if not args.target:
            raise ValueError("give --target NAME (e.g. DRD2); 'molecule targets' lists them")
        target = load_target(args.target).name
        tasks = [Task(f"mol{i}", s, target) for i, s in enumerate(args.smiles)]
    config = {
        "tasks": [t.__dict__ for t in tasks],
        "steps": args.steps if args.steps is not None else DEFAULTS["steps"],
        "gate": args.gate, "feedback": args.feedback, "temperature": args.temperature,
        "max_tokens": args.max_tokens, "references": not args.no_references,
        "proposals": args.proposals,
        "docking": _settings(args),
    }
    return tasks, config


def optimize_command(args: argparse.Namespace) -> int:
    from textgrad_sci.config import default_engine_spec
    from textgrad_sci.engines.registry import get_engine
    from textgrad_sci.run import Run

    from .workflow import MoleculeOptimization, OptimizeConfig

    try:
        tasks, config = _tasks_and_config(args)
        run_dir = Path(args.resume or args.run_dir or default_run_dir("molecule"))
        engine = get_engine(args.engine or config.get("engine_spec") or default_engine_spec())
        config["engine_spec"] = args.engine or config.get("engine_spec") or default_engine_spec()
        if config.get("proposals") is None:
            local = config["engine_spec"].startswith("local")
            config["proposals"] = "analogues" if local else "free"
        opt_config = OptimizeConfig(
            steps=config["steps"], gate=config["gate"], feedback=config["feedback"],
            temperature=config["temperature"], max_tokens=config["max_tokens"],
            references=config["references"], proposals=config["proposals"],
        )
        service = _service(args, config["docking"])
    except (ValueError, TargetError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    with service:
        try:
            workflow = MoleculeOptimization(tasks, service, engine, opt_config)
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        run = Run(run_dir, config, engine)
        summary = _run_with_progress(workflow, run, not args.no_progress)
    from .plots import write_plots

    write_plots(run.path, summary)
    from textgrad_sci.report import finish_run

    finish_run(run, summary)
    print(summary_table(summary))
    print(f"\nrun directory: {run.path}  (plots in {run.path / 'plots'})")
    return 0


def _run_with_progress(workflow, run, progress: bool) -> dict:
    from tqdm import tqdm

    total = workflow.config.steps
    with tqdm(total=total, initial=min(run.next_step, total), desc="molecule steps",
              file=sys.stderr, disable=not progress) as bar:
        def on_step(index: int, fields: dict) -> None:
            best = [e.get("objective") for e in fields["evaluations"]]
            bar.set_postfix_str(", ".join("-" if b is None else f"{b:.3f}" for b in best))
            bar.update(1)

        return workflow.run(run, on_step)


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def summary_table(summary: dict) -> str:
    """Start, final and best molecule per task as plain aligned text."""
    header = ["task", "target", "which", "QED", "Vina", "SA", "objective", "SMILES"]
    rows = [header]
    for t in summary["tasks"]:
        for which in ("start", "final", "best"):
            p = t.get(which) or {}
            rows.append([t["task"], t["target"], which, _fmt(p.get("qed"), ".3f"),
                         _fmt(p.get("vina"), ".2f"), _fmt(p.get("sa"), ".2f"),
                         _fmt(p.get("objective"), ".3f"), p.get("smiles") or "-"])
        for ref in t.get("references", []):
            rows.append([t["task"], t["target"], "ref " + ref["name"], _fmt(ref["qed"], ".3f"),
                         _fmt(ref["vina"], ".2f"), "-", "-", ref["smiles"]])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
             for r in rows]
    d = summary.get("docking", {})
    lines.append(f"docking: {d.get('docked', 0)} docked, {d.get('cache_hits', 0)} from cache")
    return "\n".join(lines)
