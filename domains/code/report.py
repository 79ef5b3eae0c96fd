"""The code run's lab notebook: the per-test table (visible and hidden; status, input, expected,
actual) of the start and the best code, the code's diff between steps, and for a bench run the
per-problem table. Reads the run's summary and steps (``textgrad_sci.report_sections``).

Per-test results of the hidden tests are not in the step records: :func:`test_fields` turns the
start and best code's test runs into JSON for the summary (``summary.update(test_fields(...))``).

Fields read. Summary: ``tests`` (``{"visible_start"|"visible_best"|"hidden_start"|"hidden_best":
[TestResult.to_dict()]}``), ``problem_id``, ``visible_before``/``visible_after``/``hidden_before``/
``hidden_after`` (``passed``, ``total``, ``statuses``), ``initial_code``, ``best_code``,
``solved_visible``; for a bench: ``problems``, ``steps``, ``methods`` (per method ``final``,
``ci95``: the completion rate), or in older runs ``hidden_before``/``hidden_after``/``visible_*`` as
rates. Steps: ``tested_code`` (else ``parameters.code``), ``losses.visible_passed``,
``losses.visible_total``, ``updates``, ``solved``, ``graph`` (a node whose ``data.tests`` lists
the visible tests: the tests per step, and start/last when ``summary.tests`` is missing); bench
steps: ``row`` (``problem``, ``method`` (its run: ``problems/<method>/<id>``), ``steps``,
``visible_before``, ``visible_after``, ``hidden_passed_before``, ``hidden_passed_after``,
``hidden_total``).
"""

from __future__ import annotations

import re
from typing import Any

from textgrad_sci.report.fragments import Markup, badge, details, diff_block, fmt, note, pre, table
from textgrad_sci.report.fragments import tag as html_tag
from textgrad_sci.report.sections import Section

DOMAIN = "code"
MAX_CELL = 300
TEST_SETS = ("visible", "hidden")


def _dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _list(v: Any) -> list:
    return v if isinstance(v, list) else []


def _bench(run: dict) -> bool:
    return any(isinstance(s.get("row"), dict) and "problem" in s["row"] for s in run["steps"])


def applies(run: dict) -> bool:
    if run.get("domain"):
        return run["domain"] == DOMAIN
    if _bench(run):
        return True
    return any("tested_code" in s for s in run["steps"][:3]) or "problem_id" in run["summary"]


# -- what the lead's summary gets ----------------------------------------------------------------
def _tests_of(result: Any) -> list[dict] | None:
    result = getattr(result, "detail", result)  # a Measurement holds the RunResult
    tests = getattr(result, "tests", None)
    if tests is None:
        return None
    return [t.to_dict() if hasattr(t, "to_dict") else dict(t) for t in tests]


def test_fields(visible_start: Any = None, visible_best: Any = None, hidden_start: Any = None,
                hidden_best: Any = None) -> dict:
    """``{"tests": {...}}`` for the summary: each test run (a ``RunResult`` or a measurement of
    one) as a list of per-test dicts; runs that are None or failed in the sandbox are left out."""
    given = {"visible_start": visible_start, "visible_best": visible_best,
             "hidden_start": hidden_start, "hidden_best": hidden_best}
    tests = {k: t for k, v in given.items() if (t := _tests_of(v)) is not None}
    return {"tests": tests}


# -- reading the record ---------------------------------------------------------------------------
def _short(value: Any) -> str:
    text = fmt(value, ".4g", "")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _graph_tests(step: dict) -> list[dict] | None:
    for node in _list(_dict(step.get("graph")).get("nodes")):
        tests = _dict(_dict(node).get("data")).get("tests")
        if isinstance(tests, list) and tests:
            return [t for t in tests if isinstance(t, dict)]
    return None


def test_runs(run: dict) -> tuple[dict[str, list[dict]], list[str]]:
    """``{"visible_start": [...], ...}`` and what is missing from the record."""
    runs = {k: [t for t in _list(v) if isinstance(t, dict)]
            for k, v in _dict(run["summary"].get("tests")).items()}
    missing = []
    steps = run["steps"]
    if "visible_start" not in runs and steps and (found := _graph_tests(steps[0])) is not None:
        runs["visible_start"] = found
    if "visible_best" not in runs and steps:
        found = next((t for s in reversed(steps) if (t := _graph_tests(s)) is not None), None)
        if found is not None:
            runs["visible_last"] = found
    for key in ("hidden_start", "hidden_best"):
        if key not in runs:
            missing.append(key)
    return runs, missing


def _status(t: dict | None) -> Markup:
    if t is None:
        return Markup("—")
    status = str(t.get("status", "?"))
    kind = "ok" if status == "passed" else "bad"
    return badge(status.replace("_", " "), kind)


def _test_table(run: dict) -> Markup:
    runs, missing = test_runs(run)
    parts = []
    summary = run["summary"]
    counts = []
    for which in ("visible_before", "visible_after", "hidden_before", "hidden_after"):
        c = _dict(summary.get(which))
        if c:
            counts.append(f"{which.replace('_', ' ')}: {fmt(c.get('passed'), 'd')}/"
                          f"{fmt(c.get('total'), 'd')}")
    if counts:
        solved = summary.get("solved_visible")
        parts.append(html_tag("p", " · ".join(counts) + (
            "" if solved is None else f" · visible tests solved: {fmt(bool(solved))}")))
    rows, classes = [], []
    for test_set in TEST_SETS:
        start = runs.get(f"{test_set}_start", [])
        end_key = next((k for k in (f"{test_set}_best", f"{test_set}_last") if k in runs), None)
        end = runs.get(end_key, []) if end_key else []
        by_name = {str(t.get("name", t.get("index"))): t for t in start}
        names = list(dict.fromkeys([*by_name, *(str(t.get("name", t.get("index"))) for t in end)]))
        end_by = {str(t.get("name", t.get("index"))): t for t in end}
        for name in names:
            s, e = by_name.get(name), end_by.get(name)
            shown = e or s or {}
            actual = shown.get("actual") or shown.get("error") or ""
            rows.append([test_set, name, _status(s), _status(e), pre(_short(shown.get("input"))),
                         pre(_short(shown.get("expected"))), pre(_short(actual))])
            classes.append(f"test-row {test_set} {shown.get('status', '')}")
    if rows:
        parts.append(table(["tests", "test", "start code", "best code", "input", "expected",
                            "actual (best code)"], rows, id="test-table", row_classes=classes))
    else:
        parts.append(note("No per-test result was recorded."))
    parts.append(_per_step(run))
    if missing:
        parts.append(html_tag("p", "Per-test results not in this run's record: "
                                   + ", ".join(f"summary.tests.{m}" for m in missing)
                                   + " (written by textgrad_sci.domains.code.report.test_fields).",
                              cls="muted missing-fields"))
    return Markup("").join(parts)


def _per_step(run: dict) -> Markup:
    """Visible tests (rows) by step (columns): each test's status on the code tested then."""
    per_step = [(s["step"], t) for s in run["steps"] if (t := _graph_tests(s)) is not None]
    if len(per_step) < 2:
        return Markup("")
    names = list(dict.fromkeys(str(t.get("name", t.get("index"))) for _, ts in per_step
                               for t in ts))
    rows = []
    for name in names:
        cells = []
        for _, tests in per_step:
            t = next((t for t in tests if str(t.get("name", t.get("index"))) == name), None)
            cells.append(_status(t))
        rows.append([name, *cells])
    return html_tag("h3", "Visible tests per step") + table(
        ["test", *(f"step {n}" for n, _ in per_step)], rows, id="tests-per-step")


def _code(step: dict) -> str | None:
    code = step.get("tested_code")
    if isinstance(code, str):
        return code
    value = _dict(step.get("parameters")).get("code")
    return value if isinstance(value, str) else None


def _diffs(run: dict) -> Markup:
    steps = [s for s in run["steps"] if _code(s) is not None]
    if not steps:
        return note("No code was recorded.")
    parts = []
    previous = None
    for s in steps:
        code = _code(s) or ""
        losses = _dict(s.get("losses"))
        passed = f"visible {fmt(losses.get('visible_passed'), 'd')}/" \
                 f"{fmt(losses.get('visible_total'), 'd')}"
        upd = next((u for u in _list(s.get("updates")) if isinstance(u, dict)), None)
        verdict = "" if upd is None else (" · update accepted" if upd.get("accepted")
                                          else " · update not applied")
        title = f"step {s['step']}: code tested ({passed}{verdict})"
        if previous is None:
            body = pre(code)
        else:
            body = diff_block(previous, code)
        parts.append(Markup(f"<div class='code-step' data-step='{s['step']}'>")
                     + details(title, body, open=previous is not None) + Markup("</div>"))
        previous = code
    best = run["summary"].get("best_code")
    first = run["summary"].get("initial_code") or _code(steps[0])
    if isinstance(best, str) and isinstance(first, str):
        parts.append(html_tag("h3", "Best code against the start"))
        parts.append(diff_block(first, best))
    return Markup("").join(parts)


def _bench_link(run: dict, r: dict) -> Markup | str:
    folder = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(r.get("problem", "")))  # as bench names it
    base = run["path"] / "problems"
    sub = (base / str(r["method"]) if r.get("method") else base) / folder / "report.html"
    return Markup(f"<a href='{sub.resolve().as_uri()}'>report</a>") if sub.exists() else "—"


def _bench_line(s: dict) -> str:
    methods = _dict(s.get("methods"))
    if methods:
        parts = []
        for name, m in methods.items():
            lo, hi = (list(_list(m.get("ci95"))) + [None, None])[:2]
            parts.append(f"{name} {fmt(m.get('final'), '.0%')} (95% interval "
                         f"{fmt(lo, '.0%')}–{fmt(hi, '.0%')})")
        return ("Completion rate (all hidden tests passed) after "
                f"{fmt(s.get('steps'), 'd')} iterations: " + ", ".join(parts) + ".")
    if "hidden_after" in s:
        return (f"Hidden tests all passed: {fmt(s.get('hidden_before'), '.0%')} of problems "
                f"before, {fmt(s.get('hidden_after'), '.0%')} after refinement (visible: "
                f"{fmt(s.get('visible_before'), '.0%')} → {fmt(s.get('visible_after'), '.0%')}).")
    return ""


def _bench_table(run: dict) -> Markup:
    rows = []
    for s in run["steps"]:
        r = _dict(s.get("row"))
        if not r:
            continue
        total = r.get("hidden_total")
        rows.append([r.get("problem"), r.get("method", "—"), r.get("steps"),
                     "pass" if r.get("visible_before") else "fail",
                     "pass" if r.get("visible_after") else "fail",
                     f"{fmt(r.get('hidden_passed_before'), 'd')}/{fmt(total, 'd')}",
                     f"{fmt(r.get('hidden_passed_after'), 'd')}/{fmt(total, 'd')}",
                     _bench_link(run, r)])
    return html_tag("p", _bench_line(run["summary"])) + table(
        ["problem", "method", "steps", "visible before", "visible after", "hidden before",
         "hidden after", "run"], rows, id="bench-table")


def sections(run: dict) -> list[Section]:
    if _bench(run):
        return [Section("code-bench", "Problems", _bench_table(run))]
    return [
        Section("code-tests", "Tests", _test_table(run)),
        Section("code-diffs", "Code per step", _diffs(run)),
    ]


def results(run: dict) -> dict[str, Any]:
    s = run["summary"]
    if _bench(run) and _dict(s.get("methods")):
        return {"problems": s.get("problems"), **{
            f"{name} completion": _dict(m).get("final") for name, m in s["methods"].items()}}
    if _bench(run):
        return {k: s.get(k) for k in ("problems", "visible_before", "visible_after",
                                      "hidden_before", "hidden_after")}
    out: dict[str, Any] = {}
    for which in ("visible_before", "visible_after", "hidden_before", "hidden_after"):
        c = _dict(s.get(which))
        out[f"{which.replace('_', ' ')} passed"] = c.get("passed")
        out[f"{which.replace('_', ' ')} total"] = c.get("total")
    out["steps"] = s.get("steps_run", len(run["steps"]))
    return out
