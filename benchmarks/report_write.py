"""Time to write a run's HTML report vs a naive readable dump of the same run (json.dumps with
indentation), both measured here on a synthetic run in the real run-directory format.

    python benchmarks/report_write.py [--steps 200] [--batch 8] [--repeat 3] [--browser]
                                      [--domain prompt|molecule]

The run (``--domain prompt``): one trainable system prompt, ``--batch`` questions per step, each
answered (LLMCall), checked (StringBasedFunction) and summed into one loss; every node carries
feedback text; the prompt notebook diffs the prompt of every step. ``--domain molecule``: one
molecule, a proposal per step, so the notebook draws two molecules per step with RDKit (parent and
proposal, with their common substructure) plus the Pareto front. ``--browser`` also times opening
the page in headless chromium (DOMContentLoaded to load end).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import textgrad_sci as tg
from textgrad_sci.graph import graph_snapshot
from textgrad_sci.report import write_report
from textgrad_sci.run import read_jsonl

WORDS = "the model should count each item once and state the total as a number only".split()


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def make_run(directory: Path, steps: int, batch: int) -> None:
    rng = random.Random(0)
    run = tg.Run(directory, {"steps": steps, "batch": batch}, {"class": "Synthetic", "model": "x"})
    prompt = tg.Variable(_text(rng, 60), "system prompt", name="system_prompt")
    for i in range(steps):
        with run.step(i) as s:
            checks = []
            for b in range(batch):
                q = tg.Variable(_text(rng, 30), "question", False, name=f"q{i}_{b}")
                a = tg.Variable(_text(rng, 80), "answer", True, [q, prompt], name=f"a{i}_{b}")
                a.grad_fn_name = "LLMCall"
                c = tg.Variable(_text(rng, 10), "check", True, [a], name=f"c{i}_{b}")
                c.grad_fn_name = "StringBasedFunction"
                a.add_gradient(_text(rng, 90), source=c.name, context={"via": "check"})
                prompt.add_gradient(_text(rng, 90), source=a.name, context={"via": "answer"})
                checks.append(c)
            loss = tg.Variable(
                "\n".join(c.value for c in checks), "loss", True, checks, name="loss"
            )
            loss.grad_fn_name = "Concatenate"
            for c in checks:
                c.add_gradient(_text(rng, 40), source="loss")
            snapshot = graph_snapshot(loss)
            prompt.reset_gradients()
            prompt.value = _text(rng, 60)
            s.record(parameters=[prompt], losses={"accuracy": rng.random()}, graph=snapshot)
    run.finish({"done": True})


START = "CCN(CC)C(=O)c1ccccc1"


def _point(rng: random.Random, step: int, kind: str, smiles: str, **extra) -> dict:
    qed, vina = round(rng.uniform(0.4, 0.9), 3), round(rng.uniform(-9, -5), 2)
    return {"task": "mol0", "target": "DRD2", "step": step, "kind": kind, "smiles": smiles,
            "canonical": smiles, "valid": True, "qed": qed, "sa": 2.0, "vina": vina,
            "objective": qed - vina / 10, **extra}


def make_molecule_run(directory: Path, steps: int) -> None:
    """The molecule workflow's record: an evaluation and a proposal (a one-edit analogue made by
    RDKit, so most molecules are new) per step, a Pareto front."""
    from rdkit import Chem
    from textgrad_sci.losses.chem.edits import analogues

    rng = random.Random(0)
    run = tg.Run(directory, {"domain": "molecule", "steps": steps}, {"class": "Synthetic"})
    current, points, front = START, [], []
    for i in range(steps):
        proposal = rng.choice(analogues(current, n=6, seed=i) or [(START, "")])[0]
        heavy = Chem.MolFromSmiles(proposal).GetNumHeavyAtoms()
        with run.step(i) as s:
            ev = _point(rng, i, "current", current)
            # kept at drug-like size (at most about 32 heavy atoms), as an objective would
            pr = _point(rng, i, "proposal", proposal, accepted=heavy <= 32 and rng.random() < 0.5)
            points += [ev, pr]
            front = sorted(points, key=lambda p: -p["objective"])[:5]
            s.record(parameters=[tg.Variable(current, "molecule", name="mol0")],
                     losses={"mol0.qed": ev["qed"], "mol0.vina": ev["vina"]},
                     evaluations=[ev], proposals=[pr], pareto={"mol0": front})
        current = proposal if pr["accepted"] else current
    brief = {"start": points[0], "final": points[-2], "best": front[0]}
    run.finish({"tasks": [{"task": "mol0", "target": "DRD2", **brief, "references": []}],
                "pareto": {"mol0": front}})


def naive_dump(directory: Path) -> Path:
    """The baseline: every step pretty-printed as JSON into one text file."""
    meta = json.loads((directory / "run.json").read_text())
    steps = read_jsonl(directory / "steps.jsonl")
    out = directory / "dump.txt"
    out.write_text(json.dumps({"run": meta, "steps": steps}, indent=2), encoding="utf-8")
    return out


def fresh_report_s(directory: Path) -> float:
    """Seconds ``write_report`` takes in a new process (as ``textgrad-sci report`` runs it): the
    domain sections' imports (RDKit...) and drawings are not cached from an earlier repeat."""
    code = (
        "import sys, time\n"
        "from textgrad_sci.report import write_report\n"
        "started = time.perf_counter()\n"
        "write_report(sys.argv[1])\n"
        "print(time.perf_counter() - started)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(directory)], check=True,
                          capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def browser_load_ms(page: Path) -> float:

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from report_support import chrome

    with tempfile.TemporaryDirectory() as profile:
        driver = chrome(Path(profile))
        try:
            driver.get(page.resolve().as_uri())
            timing = driver.execute_script(
                "var t = performance.getEntriesByType('navigation')[0];"
                "return t.loadEventEnd - t.startTime;"
            )
        finally:
            driver.quit()
    return float(timing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--browser", action="store_true")
    parser.add_argument("--domain", choices=("prompt", "molecule"), default="prompt")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "run"
        if args.domain == "molecule":
            make_molecule_run(directory, args.steps)
        else:
            make_run(directory, args.steps, args.batch)
        steps_mb = (directory / "steps.jsonl").stat().st_size / 1e6
        write_report(directory)  # the page, for its size (and the browser)
        report_s = min(fresh_report_s(directory) for _ in range(args.repeat))
        dump_s = best_of(lambda: naive_dump(directory), args.repeat)
        page_mb = (directory / "report.html").stat().st_size / 1e6
        nodes = len(read_jsonl(directory / "steps.jsonl")[-1].get("graph", {}).get("nodes", []))
        print(
            f"run: {args.steps} steps, {nodes} graph nodes per step, steps.jsonl {steps_mb:.1f} MB"
        )
        dump_mb = (directory / "dump.txt").stat().st_size / 1e6
        print(f"report.html: {page_mb:.1f} MB; naive dump: {dump_mb:.1f} MB")
        if args.browser:
            loads = [browser_load_ms(directory / "report.html") for _ in range(args.repeat)]
            print(f"chromium load of report.html: {statistics.median(loads):.0f} ms (median)")
        print(
            f"report_write_{args.steps}_steps_{args.domain}: {report_s * 1000:.0f} ms "
            f"(baseline: {dump_s * 1000:.0f} ms, ratio: {report_s / dump_s:.2f})"
        )


if __name__ == "__main__":
    main()
