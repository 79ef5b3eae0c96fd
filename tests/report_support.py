"""A small scripted run (ScriptedEngine + TGD + Run) for the report tests: three steps, one
malformed update answer (a retry), one failed attempt at a step (an event), a plot."""

from __future__ import annotations

import itertools
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
