"""The prompt and answer runs' lab notebook: accuracy per step on train, validation and test with
the prompt's diff at every accepted step (prompt optimize); the answers, their votes and diffs
(answer refine). Reads the run's summary, steps and events (``textgrad_sci.report_sections``).

Fields read. Prompt: steps ``losses.train_accuracy``/``val_accuracy``/``test_accuracy``,
``epoch``, ``accepted``, ``changed``, ``candidate_val_accuracy``, ``predictions[]`` (``question``,
``answer``, ``response``, ``correct``), ``parameters.system_prompt``, ``updates[0].old_value``;
summary ``initial`` (``val``, ``test``), ``final``, ``epochs[]``, ``prompt``; the ``baseline``
event (``prompt``, ``val_accuracy``, ``test_accuracy``). Answer: steps ``answer``, ``vote``,
``updates``; summary ``final``, ``votes``, ``correct``; settings ``question``, ``answer`` (or
``args.question``, ``args.answer``).
"""

from __future__ import annotations

from typing import Any

from textgrad_sci.report.fragments import (
    Markup,
    badge,
    details,
    diff_block,
    fmt,
    note,
    pre,
    table,
    tag,
)
from textgrad_sci.report.sections import Section
from textgrad_sci.report.svg import line_chart

DOMAINS = ("prompt", "answer")
PROMPT = "system_prompt"
MAX_PREDICTIONS = 12


def _dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _list(v: Any) -> list:
    return v if isinstance(v, list) else []


def _kind(run: dict) -> str | None:
    domain = run.get("domain")
    if domain:
        return domain if domain in DOMAINS else None
    steps = run["steps"][:3]
    if any("train_accuracy" in _dict(s.get("losses")) or PROMPT in _dict(s.get("parameters"))
           for s in steps):
        return "prompt"
    if any("vote" in s and "answer" in s for s in steps):
        return "answer"
    return None


def applies(run: dict) -> bool:
    return _kind(run) is not None


# -- prompt optimize ------------------------------------------------------------------------------
def _baseline(run: dict) -> dict:
    for e in run["events"]:
        if e.get("kind") == "baseline":
            return e
    return {}


def _initial_prompt(run: dict) -> str | None:
    prompt = _baseline(run).get("prompt")
    if isinstance(prompt, str):
        return prompt
    for s in run["steps"][:1]:
        for u in _list(s.get("updates")):
            if isinstance(u, dict) and isinstance(u.get("old_value"), str):
                return u["old_value"]
    return None


def _accuracy(run: dict) -> Markup:
    initial = _dict(run["summary"].get("initial"))
    base = _baseline(run)
    val0 = initial.get("val", base.get("val_accuracy"))
    test0 = initial.get("test", base.get("test_accuracy"))
    series: dict[str, list] = {"train": [], "validation": [], "test": []}
    if val0 is not None:
        series["validation"].append((-1, val0))
    if test0 is not None:
        series["test"].append((-1, test0))
    rows = []
    for s in run["steps"]:
        losses = _dict(s.get("losses"))
        for name, key in (("train", "train_accuracy"), ("validation", "val_accuracy"),
                          ("test", "test_accuracy")):
            if losses.get(key) is not None:
                series[name].append((s["step"], losses[key]))
        kept = badge("accepted", "ok") if s.get("accepted") and s.get("changed") else (
            badge("reverted", "bad") if s.get("reverted") else badge("no change"))
        rows.append([s["step"], s.get("epoch"), fmt(losses.get("train_accuracy"), ".3f"),
                     fmt(losses.get("val_accuracy"), ".3f"),
                     fmt(s.get("candidate_val_accuracy"), ".3f"),
                     fmt(losses.get("test_accuracy"), ".3f"), kept])
    chart = line_chart(
        [{"name": k, "points": v} for k, v in series.items() if v],
        title="accuracy per step (step −1: the initial prompt)", y_label="accuracy",
        y_range=(0, 1.02), cls="accuracy",
    )
    head = ["step", "epoch", "train (minibatch)", "validation", "candidate's validation", "test",
            "prompt update"]
    start = [["initial", "", "—", fmt(val0, ".3f"), "", fmt(test0, ".3f"), ""]]
    final = _dict(run["summary"].get("final"))
    line = (f"Validation accuracy {fmt(val0, '.3f')} → {fmt(final.get('val'), '.3f')}, test "
            f"{fmt(test0, '.3f')} → {fmt(final.get('test'), '.3f')}.") if final else ""
    return (tag("p", line) + chart
            + table(head, start + rows, cls="grid-table num", id="accuracy-table"))


def _prompt_diffs(run: dict) -> Markup:
    previous = _initial_prompt(run)
    parts = []
    if previous is not None:
        parts.append(details("initial prompt", pre(previous)))
    n = 0
    for s in run["steps"]:
        prompt = _dict(s.get("parameters")).get(PROMPT)
        if not isinstance(prompt, str):
            continue
        if previous is not None and prompt != previous and s.get("accepted", True):
            n += 1
            losses = _dict(s.get("losses"))
            title = (f"step {s['step']} (epoch {fmt(s.get('epoch'), 'd')}): accepted, validation "
                     f"{fmt(losses.get('val_accuracy'), '.3f')}")
            parts.append(Markup(f"<div class='prompt-step' data-step='{s['step']}'>")
                         + diff_block(previous, prompt, title) + Markup("</div>"))
        previous = prompt
    if not n:
        parts.append(note("No step changed the prompt."))
    final = run["summary"].get("prompt")
    if isinstance(final, str):
        parts.append(details("final prompt", pre(final), open=True))
    return Markup("").join(parts)


def _predictions(run: dict) -> Markup:
    last = next((s for s in reversed(run["steps"]) if _list(s.get("predictions"))), None)
    if last is None:
        return note("No prediction was recorded.")
    rows = []
    for p in _list(last["predictions"])[:MAX_PREDICTIONS]:
        p = _dict(p)
        rows.append([pre(p.get("question", "")), p.get("answer", ""), pre(p.get("response", "")),
                     badge("correct", "ok") if p.get("correct") else badge("wrong", "bad")])
    return tag("p", f"The minibatch of step {last['step']}.", cls="muted") + table(
        ["question", "expected", "response", ""], rows, id="prediction-table")


# -- answer refine --------------------------------------------------------------------------------
def _answers(run: dict) -> Markup:
    config = run["config"]
    args = {**_dict(config.get("args")),
            **{k: config[k] for k in ("question", "answer", "choices") if k in config}}
    summary = run["summary"]
    parts = []
    if args.get("question"):
        parts.append(tag("h3", "Question") + pre(args["question"]))
    if args.get("choices"):
        parts.append(tag("p", "Choices: " + " · ".join(map(str, args["choices"]))))
    rows, previous, diffs = [], None, []
    for s in run["steps"]:
        answer = s.get("answer") if isinstance(s.get("answer"), str) else ""
        upd = next((u for u in _list(s.get("updates")) if isinstance(u, dict)), None)
        verdict = "first answer" if upd is None else (
            badge("accepted", "ok") if upd.get("accepted") else badge("not applied", "bad"))
        rows.append([s["step"], s.get("vote"), verdict, pre(answer)])
        if previous is not None and answer != previous:
            diffs.append(diff_block(previous, answer, f"step {s['step']}"))
        previous = answer
    line = f"Majority vote: {fmt(summary.get('final'))}"
    if summary.get("correct") is not None:
        line += f" ({'correct' if summary['correct'] else 'wrong'}; expected {args.get('answer')})"
    parts.append(tag("p", line, cls="verdict"))
    parts.append(table(["step", "vote", "update", "answer"], rows, id="answer-table"))
    if diffs:
        parts.append(tag("h3", "How the answer changed"))
        parts.extend(diffs)
    return Markup("").join(parts)


def sections(run: dict) -> list[Section]:
    if _kind(run) == "answer":
        return [Section("answer-steps", "Answers", _answers(run))]
    return [
        Section("prompt-accuracy", "Accuracy", _accuracy(run)),
        Section("prompt-diffs", "Prompt changes", _prompt_diffs(run)),
        Section("prompt-predictions", "Predictions", _predictions(run)),
    ]


def results(run: dict) -> dict[str, Any]:
    s = run["summary"]
    if _kind(run) == "answer":
        return {"majority vote": s.get("final"), "correct": s.get("correct"),
                "steps": len(run["steps"])}
    initial, final = _dict(s.get("initial")), _dict(s.get("final"))
    accepted = sum(1 for st in run["steps"] if st.get("accepted") and st.get("changed"))
    return {"validation (initial)": initial.get("val"), "validation (final)": final.get("val"),
            "test (initial)": initial.get("test"), "test (final)": final.get("test"),
            "prompt updates accepted": accepted}
