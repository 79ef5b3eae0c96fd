"""A small scripted run (ScriptedEngine + TGD + Run) for the report tests: three steps, one
malformed update answer (a retry), one failed attempt at a step (an event), a plot."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import textgrad_sci as tg
from textgrad_sci.engines import ChatRequest
from textgrad_sci.graph import graph_snapshot
from textgrad_sci.llm_ops_prompts import BACKWARD_SYSTEM_PROMPT
from textgrad_sci.optimizer_prompts import SYSTEM_PROMPT

UPDATE_MARK = SYSTEM_PROMPT.split("{")[0]
FEEDBACK_TEXT = "State the boiling point in kelvin as well; the draft omits units."
STEPS = 3


def _responder():
    updates = itertools.count()

    def respond(request: ChatRequest) -> str:
        system = next((c for r, c in request.messages if r == "system"), "")
        if system.startswith(UPDATE_MARK):
            n = next(updates)
            if n == 0:
                return "I would improve it but forgot the tags"
            value = f"Water boils at 100 C (373 K), revision {n}."
            return f"<IMPROVED_VARIABLE>{value}</IMPROVED_VARIABLE>"
        if system == BACKWARD_SYSTEM_PROMPT:
            return FEEDBACK_TEXT
        return "The draft answer is incomplete: no units in kelvin."

    return respond


def make_run(directory: Path, steps: int = STEPS, plot: bool = True) -> dict:
    """Run ``steps`` optimization steps into ``directory``; return what the tests compare to."""
    engine = tg.ScriptedEngine(_responder(), model="scripted-test")
    run = tg.Run(directory, {"task": "boiling point", "steps": steps, "lr": 1}, engine)
    solution = tg.Variable(
        "Water boils at 100.",
        role_description="answer to the question",
        name="solution",
        validator=lambda v: "must mention water" if "water" not in v.lower() else None,
    )
    question = tg.Variable(
        "At what temperature does water boil?", "question", False, name="question"
    )
    optimizer = tg.TGD([solution], engine=engine, max_retries=1)
    run.restore([solution], optimizer)
    failed_once = False
    snapshots = []
    for i in run.remaining(steps):
        if i == 1 and not failed_once:
            failed_once = True
            try:
                with run.step(i):
                    raise RuntimeError("docking tool crashed (simulated)")
            except RuntimeError:
                pass
        with run.step(i) as s:
            optimizer.zero_grad()
            answer = tg.FormattedLLMCall(
                engine, "Q: {q}\nDraft: {d}", {"q": "question", "d": "draft"}
            )({"q": question, "d": solution}, "checked answer")
            loss = tg.TextLoss("Judge the answer for physical units.", engine=engine)(answer)
            loss.backward(engine)
            snapshot = graph_snapshot(loss)
            reports = optimizer.step()
            s.record(
                parameters=[solution],
                losses={"length": len(solution.value), "has_kelvin": float("K" in solution.value)},
                graph=snapshot,
                updates=reports,
                optimizer=optimizer,
                candidates=[solution.value],
            )
            snapshots.append(snapshot)
    if plot:
        _plot(directory, steps)
    run.finish({"final": solution.value})
    return {"snapshots": snapshots, "final": solution.value}


def _plot(directory: Path, steps: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2), dpi=60)
    ax.plot(range(steps), [1 / (i + 1) for i in range(steps)], marker="o")
    ax.set_title("trajectory")
    (directory / "plots").mkdir(exist_ok=True)
    fig.savefig(directory / "plots" / "trajectory.png")
    plt.close(fig)


CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"


def chrome(profile_dir: Path, width: int = 1400, height: int = 1000):
    """Headless Debian chromium through selenium, with a fresh profile and performance logs."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--no-first-run",
        f"--user-data-dir={profile_dir}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


# -- one run per domain, in the step-record format each domain writes -----------------------------
MOLECULE_START = "CCN(CC)C(=O)c1ccccc1"
MOLECULE_TRAJECTORY = [  # (proposal, accepted)
    ("CCN(CC)C(=O)c1ccc(F)cc1", True),
    ("CCN(CC)C(=O)c1ccc(Cl)cc1", False),
    ("C1CC(", False),
    ("CCN(CC)C(=O)c1ccc(F)cc1O", True),
]


def _vina(smiles: str) -> float:
    """A made-up docking score (no docking in report tests): lower for larger molecules."""
    return round(-4.0 - 0.12 * len(smiles.replace("(", "").replace(")", "")), 2)


def _molecule_point(task: str, step: int, kind: str, smiles: str, **extra) -> dict:
    from textgrad_sci.losses.chem.loss import score_molecule

    scores = score_molecule(smiles).to_dict()
    if scores["valid"]:
        scores["vina"] = _vina(smiles)
        scores["objective"] = scores["qed"] - scores["vina"] / 10
    keep = ("smiles", "canonical", "valid", "error", "qed", "sa", "vina", "vina_error",
            "objective", "lipinski")
    return {"task": task, "target": "DRD2", "step": step, "kind": kind,
            **{k: scores.get(k) for k in keep}, **extra}


def _brief(p: dict | None) -> dict | None:
    keys = ("smiles", "canonical", "qed", "vina", "sa", "objective", "error", "vina_error")
    return None if p is None else {k: p.get(k) for k in keys}


def make_molecule_run(directory: Path, references: bool = True, finish: bool = True) -> dict:
    """A molecule run (one task against DRD2) recorded as the molecule workflow records it."""
    from textgrad_sci.domains.molecule.pareto import pareto_front
    from textgrad_sci.losses.chem.properties import properties
    from textgrad_sci.losses.chem.references import reference_drugs
    from textgrad_sci.losses.chem.smiles import check_molecule

    run = tg.Run(directory, {"domain": "molecule", "steps": len(MOLECULE_TRAJECTORY),
                             "target": "DRD2", "gate": True}, {"class": "Scripted"})
    refs = []
    if references:
        for drug in reference_drugs("DRD2"):
            mol = check_molecule(drug.smiles).mol
            refs.append({"name": drug.name, "smiles": drug.smiles, "vina": _vina(drug.smiles),
                         "qed": properties(mol)["qed"]})
    current, points = MOLECULE_START, []
    for step, (proposal, accepted) in enumerate(MOLECULE_TRAJECTORY):
        with run.step(step) as s:
            ev = _molecule_point("mol0", step, "current", current, references=refs)
            pr = _molecule_point("mol0", step, "proposal", proposal, accepted=accepted,
                                 reason="kept: the score did not get worse" if accepted
                                 else "rejected: the score got worse")
            points += [ev, pr]
            front = [{k: p.get(k) for k in ("canonical", "smiles", "qed", "vina", "step", "kind")}
                     for p in pareto_front(points)]
            s.record(parameters=[tg.Variable(current, "molecule", name="mol0")],
                     losses={f"mol0.{k}": ev[k] for k in ("qed", "vina", "objective")},
                     evaluations=[ev], proposals=[pr], pareto={"mol0": front},
                     updates=[{"variable": "mol0", "accepted": accepted, "attempts": 1,
                               "new_value": proposal, "reason": pr["reason"]}])
            if accepted:
                current = proposal
    final = _molecule_point("mol0", len(MOLECULE_TRAJECTORY), "final", current)
    points.append(final)
    best = max((p for p in points if p.get("objective") is not None),
               key=lambda p: p["objective"])
    summary = {
        "tasks": [{"task": "mol0", "target": "DRD2", "start": _brief(points[0]),
                   "final": _brief(final), "best": _brief(best), "references": refs,
                   "accepted": 2, "proposals": len(MOLECULE_TRAJECTORY)}],
        "pareto": {"mol0": [{k: p.get(k) for k in ("canonical", "smiles", "qed", "vina", "step",
                                                    "kind")} for p in pareto_front(points)]},
        "docking": {"docked": 0, "cache_hits": 0},
    }
    if finish:
        run.finish(summary)
    return {"summary": summary, "final": current, "best": best}


def make_radiotherapy_run(directory: Path, with_dose: bool = True) -> dict:
    """Two tuning steps on the prostate phantom (12 mm grid, real FMO), recorded as the tuning
    problem records them; the summary carries ``report_fields`` unless ``with_dose`` is off."""
    from textgrad_sci.domains.radiotherapy import load_case, load_goals, make_loss
    from textgrad_sci.domains.radiotherapy.plan import initial_plan
    from textgrad_sci.domains.radiotherapy.report import report_fields

    case = load_case("prostate", 12.0)
    goals = load_goals("prostate", case.prescription_gy)
    loss = make_loss(case, goals, fmo_iterations=60)
    run = tg.Run(directory, {"domain": "radiotherapy", "case": "prostate", "steps": 2,
                             "resolution": 12.0}, {"class": "Scripted"})
    (directory / "goals.json").write_text(
        json.dumps({"goals": [g.to_dict() for g in goals]}), encoding="utf-8")
    plans = [initial_plan(case)]
    for factor in (3.0, 0.5):
        doc = json.loads(plans[-1])
        for o in doc["objectives"]:
            if o["structure"] == case.target:
                o["weight"] = round(o["weight"] * factor, 2)
        plans.append(json.dumps(doc))
    rows = []
    for step in range(2):
        numbers = loss.evaluate(plans[step]).numbers
        rows.append(numbers)
        with run.step(step) as s:
            missed = numbers["goals_total"] - numbers["goals_met"]
            s.record(parameters=[tg.Variable(plans[step + 1], "plan", name="plan")],
                     losses={"goals_met": float(numbers["goals_met"]),
                             "goals_missed": float(missed), "goal_score": numbers["score"]},
                     updates=[{"variable": "plan", "accepted": True, "attempts": 1,
                               "old_value": plans[step], "new_value": plans[step + 1]}],
                     evaluated_plan=plans[step], goals=numbers)
    initial, final = loss.evaluate(plans[0]).detail, loss.evaluate(plans[2]).detail
    assert initial.error is None and final.error is None, (initial.error, final.error)
    summary = {"iterations": 2, "goals_total": rows[0]["goals_total"],
               "goals_met_initial": rows[0]["goals_met"], "goals_met_final": final.goals_met,
               "score_initial": rows[0]["score"], "score_final": final.score,
               "best_plan": plans[2], "tuner": "textgrad"}
    if with_dose:
        summary.update(report_fields(case, goals, initial, final))
    run.finish(summary)
    return {"summary": summary, "case": case, "initial": initial, "final": final}


CODE_START = "def add(a, b):\n    return a - b\n"
CODE_FIXED = "def add(a, b):\n    # add the two numbers\n    return a + b\n"


def _tests(code: str, which: str) -> list[dict]:
    cases = [((1, 2), 3), ((0, 0), 0), ((-1, 5), 4)] if which == "visible" else [((10, 5), 15)]
    out = []
    for i, (args, want) in enumerate(cases):
        got = args[0] + args[1] if "a + b" in code else args[0] - args[1]
        out.append({"index": i, "name": f"{which}_{i}", "status": "passed" if got == want
                    else "wrong_answer", "input": f"add{args}", "expected": repr(want),
                    "actual": repr(got), "stdout": "", "stderr": "", "error": "",
                    "traceback": "", "time_s": 0.001})
    return out


def make_code_run(directory: Path) -> dict:
    """A refinement of one problem in two steps, recorded as the code refinement records it."""
    run = tg.Run(directory, {"domain": "code", "problem": "add", "steps": 2},
                 {"class": "Scripted"})
    codes = [CODE_START, CODE_FIXED]
    for step, code in enumerate(codes):
        tests = _tests(code, "visible")
        passed = sum(t["status"] == "passed" for t in tests)
        with run.step(step) as s:
            node = {"id": 1, "name": "results", "role": "test results", "value": "",
                    "data": {"passed": passed, "total": len(tests), "tests": tests}}
            s.record(parameters=[tg.Variable(codes[min(step + 1, 1)], "code", name="code")],
                     losses={"visible_passed": passed, "visible_total": len(tests),
                             "visible_pass_rate": passed / len(tests)},
                     graph={"nodes": [node], "edges": []},
                     updates=[] if step else [{"variable": "code", "accepted": True,
                                               "attempts": 1, "new_value": CODE_FIXED}],
                     initial_code=CODE_START, tested_code=code, best_code=code,
                     best_passed=passed, solved=passed == len(tests))
    summary = {"problem_id": "add", "initial_code": CODE_START, "best_code": CODE_FIXED,
               "steps_run": 2, "solved_visible": True,
               "visible_before": {"passed": 1, "total": 3}, "visible_after": {"passed": 3,
                                                                              "total": 3},
               "hidden_before": {"passed": 0, "total": 1}, "hidden_after": {"passed": 1,
                                                                            "total": 1},
               "tests": {"visible_start": _tests(CODE_START, "visible"),
                         "visible_best": _tests(CODE_FIXED, "visible"),
                         "hidden_start": _tests(CODE_START, "hidden"),
                         "hidden_best": _tests(CODE_FIXED, "hidden")}}
    run.finish(summary)
    return {"summary": summary}


PROMPTS = [
    "You count objects.",
    "You count objects. List each item, then give the total as a number.",
    "You count objects. List each item once, then give the total as a number.",
]


def make_prompt_run(directory: Path, val: tuple[float, ...] = (0.5, 0.75, 0.75),
                    lr_label: str = "a") -> dict:
    """Three training steps (one epoch), recorded as prompt training records them."""
    run = tg.Run(directory, {"domain": "prompt", "task": "object-counting",
                             "train": {"epochs": 1, "batch_size": 2, "label": lr_label}},
                 {"class": "Scripted", "model": "scripted-test"})
    run.event("baseline", prompt=PROMPTS[0], val_accuracy=0.25, test_accuracy=0.3)
    accepted = [True, True, False]
    for step in range(3):
        prompt = PROMPTS[min(step + 1, 2)] if accepted[step] else PROMPTS[2]
        losses = {"train_accuracy": 0.5 + 0.25 * (step % 2), "val_accuracy": val[step]}
        if step == 2:
            losses["test_accuracy"] = 0.7
        with run.step(step) as s:
            s.record(parameters=[tg.Variable(prompt, "system prompt", name="system_prompt")],
                     losses=losses, epoch=1, accepted=accepted[step],
                     reverted=not accepted[step], changed=accepted[step],
                     candidate_val_accuracy=val[step],
                     updates=[{"variable": "system_prompt", "accepted": accepted[step],
                               "attempts": 1, "old_value": PROMPTS[step]}],
                     predictions=[{"question": "I have a cat and two dogs. How many animals?",
                                   "answer": "3", "response": "3", "correct": True},
                                  {"question": "I have a pen. How many pens?", "answer": "1",
                                   "response": "2", "correct": False}])
    summary = {"initial": {"val": 0.25, "test": 0.3},
               "epochs": [{"epoch": 1, "train": 0.58, "steps": 3, "accepted": 2,
                           "val": val[-1], "test": 0.7}],
               "final": {"val": val[-1], "test": 0.7}, "prompt": PROMPTS[2]}
    run.finish(summary)
    return {"summary": summary}


ANSWERS = ["2 + 3 = 6", "2 + 3 = 5", "2 + 3 = 5"]


def make_answer_run(directory: Path) -> dict:
    """Answer refinement: step 0 the first answer, then two critique-and-rewrite steps, recorded
    as the refinement records them (settings flat, as AnswerConfig saves them)."""
    run = tg.Run(directory, {"question": "What is 2+3?", "answer": "5", "choices": [],
                             "steps": 2}, {"class": "Scripted"})
    for step, answer in enumerate(ANSWERS):
        with run.step(step) as s:
            updates = [] if step == 0 else [{"variable": "answer", "accepted": True,
                                              "attempts": 1, "new_value": answer}]
            s.record(parameters=[tg.Variable(answer, "answer", name="answer")],
                     losses={"accepted": 1.0} if step else {}, updates=updates,
                     answer=answer, vote=answer.split("= ")[1])
    summary = {"final": "5", "votes": ["6", "5", "5"], "correct": True}
    run.finish(summary)
    return {"summary": summary}
