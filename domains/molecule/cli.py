"""``textgrad-sci molecule``: optimize molecules against DOCKSTRING targets, score, list targets."""

from __future__ import annotations

import argparse
import dataclasses

from textgrad_sci.losses.chem.targets import TargetError, list_targets, load_target

from textgrad_sci.options import UsageError, add_config_options, add_run_options, config_from

from .tasks import DockingConfig, MoleculeConfig


def register(subparsers) -> None:
    parser = subparsers.add_parser("molecule", help="optimize molecules (RDKit QED + Vina)")
    sub = parser.add_subparsers(dest="molecule_command", metavar="ACTION")
    parser.set_defaults(handler=lambda _a: parser.print_help() or 0)

    opt = sub.add_parser(
        "optimize", help="improve SMILES against a target with an LLM",
        description="Improve SMILES against a target with an LLM. Cost per step and molecule: "
        "1 update call, up to 3 when a proposal is malformed (at most 6 model calls for --steps "
        "2 and one molecule); tool evaluations: one docking per new molecule, plus the start.")
    add_config_options(opt, MoleculeConfig)
    add_run_options(opt, "molecule")
    opt.add_argument("--no-progress", dest="quiet", action="store_true", help=argparse.SUPPRESS)
    opt.set_defaults(handler=optimize_command)

    score = sub.add_parser("score", help="score SMILES: QED, Lipinski, SA and Vina, or an "
                           "objective and its parts")
    score.add_argument("smiles", nargs="*")
    score.add_argument("--smiles", dest="more_smiles", action="append", default=[],
                       metavar="SMILES", help="a molecule to score (repeatable)")
    score.add_argument("--target", help="dock against this target too")
    score.add_argument("--objective", help="a benchmark objective: F2, promiscuous_PPAR, "
                       "selective_JAK2 or qed-vina (lower is better)")
    score.add_argument("--json", action="store_true", help="JSON lines (with --objective)")
    add_config_options(score, DockingConfig)
    score.set_defaults(handler=score_command)

    from .bench import BenchConfig, bench_command

    bench = sub.add_parser("bench", help="compare strategies at an equal budget of oracle calls")
    add_config_options(bench, BenchConfig)
    add_run_options(bench, "molecule-bench")
    bench.set_defaults(handler=bench_command)

    targets = sub.add_parser("targets", help="list the DOCKSTRING targets")
    targets.set_defaults(handler=lambda _a: print("\n".join(list_targets())) or 0)


def score_command(args: argparse.Namespace) -> int:
    from textgrad_sci.losses.chem.loss import MoleculeLoss

    args.smiles = list(args.smiles) + list(args.more_smiles)
    if not args.smiles:
        raise UsageError("give at least one molecule (--smiles SMILES)")
    if args.objective:
        return objective_command(args)
    try:
        target = load_target(args.target).name if args.target else None
    except TargetError as err:
        raise UsageError(str(err)) from None
    with config_from(DockingConfig, args).service() as service:
        loss = MoleculeLoss(target, service if target else None)
        for smiles in args.smiles:
            print(loss.evaluate(smiles).text)
            print()
    return 0


def objective_command(args: argparse.Namespace) -> int:
    """Each molecule's objective and its parts; a bad molecule or failed dock gets the worst
    value and the reason (exit 0), an unknown objective a usage error."""
    import json

    from textgrad_sci.losses.chem.objectives import get_objective, render_score, score_objective

    try:
        objective = get_objective(args.objective)
    except ValueError as err:
        raise UsageError(str(err)) from None
    with config_from(DockingConfig, args).service() as service:
        for smiles in args.smiles:
            score = score_objective(smiles, objective, service)
            if args.json:
                print(json.dumps({"smiles": score.smiles, "objective": score.value,
                                  "name": objective.name, "qed": score.qed, "vina": score.vina,
                                  "canonical": score.canonical, "error": score.error}))
            else:
                print(render_score(score, objective))
    return 0


def optimize_command(args: argparse.Namespace) -> int:
    from textgrad_sci.engines.registry import get_engine
    from textgrad_sci.options import open_run

    from .workflow import MoleculeOptimization

    run, config, spec = open_run(args, "molecule", MoleculeConfig)
    if config.proposals is None:  # the small local model does best picking listed analogues
        proposals = "analogues" if (spec or "").startswith("local") else "free"
        config = dataclasses.replace(config, proposals=proposals)
        run.set_config({**dataclasses.asdict(config), "engine": spec})
    try:
        engine = get_engine(spec) if config.strategy == "textgrad" else None
    except ValueError as err:
        run.finish({"error": str(err)}, status="failed")
        raise UsageError(str(err)) from None
    with config.service() as service:
        summary = MoleculeOptimization(config, service, engine).run(run, not args.quiet)
    print(summary_table(summary))
    print(f"\nrun directory: {run.path}  (plots in {run.path / 'plots'})")
    return 0


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
