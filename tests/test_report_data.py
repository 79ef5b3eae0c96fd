"""The data a run report is built from, and the HTML written from it (no browser here)."""

from __future__ import annotations

import json
import re

import pytest
from report_support import FEEDBACK_TEXT, STEPS, make_run

import textgrad_sci as tg
from textgrad_sci.cli import main
from textgrad_sci.report import build_page_data, write_report
from textgrad_sci.report.charts import score_series
from textgrad_sci.report.diff import text_diff
from textgrad_sci.report.layout import layout_graph


@pytest.fixture(scope="module")
def scripted_run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("run")
    made = make_run(directory)
    return directory, made


def test_steps_graph_and_scores_come_from_the_run(scripted_run):
    directory, made = scripted_run
    data = build_page_data(directory)
    assert data["n_steps"] == STEPS
    assert [s["step"] for s in data["steps"]] == list(range(STEPS))
    assert data["status"]["state"] == "completed"
    for view, snapshot in zip(data["steps"], made["snapshots"], strict=True):
        assert view["graph"]["n_variables"] == len(snapshot["nodes"])
        assert {n["name"] for n in view["nodes"]} == {n["name"] for n in snapshot["nodes"]}
        # FormattedLLMCall and TextLoss appear as function nodes between their inputs and outputs
        functions = {n["name"] for n in view["graph"]["nodes"] if n["type"] == "function"}
        assert functions == {"FormattedLLMCall", "TextLoss"}
    assert [c["name"] for c in data["charts"]] == ["length", "has_kelvin"]
    assert data["charts"][1]["last"] == "1"
    assert ("engine", "scripted-test") not in data["engine"]
    assert ("model", "scripted-test") in data["engine"]
    assert ("task", "boiling point") in data["config"]


def test_feedback_keeps_its_source(scripted_run):
    directory, _ = scripted_run
    step = build_page_data(directory)["steps"][-1]
    solution = next(n for n in step["nodes"] if n["name"] == "solution")
    assert solution["is_parameter"]
    assert [f["text"]["text"] for f in solution["feedback"]] == [FEEDBACK_TEXT]
    source = solution["feedback"][0]["source"]
    answer = next(n for n in step["nodes"] if n["name"] == source)
    assert answer["role"] == "checked answer"
    assert answer["function"] == "FormattedLLMCall"


def test_parameter_diffs_between_steps(scripted_run):
    directory, _ = scripted_run
    steps = build_page_data(directory)["steps"]
    first = steps[0]["parameters"][0]
    # step 0's "before" is the optimizer's old value: the initial draft
    assert first["has_prev"] and first["changed"]
    inserted = "".join(t for r in first["prev"] for k, t in r["segments"] if k == "ins")
    assert "373 K" in inserted
    last = steps[-1]["parameters"][0]
    assert [(k, t) for r in last["prev"] for k, t in r["segments"] if k != "eq"] == [
        ("del", "2"),
        ("ins", "3"),
    ]
    assert any(k == "ins" and "373 K" in t for r in last["first"] for k, t in r["segments"])


def test_usage_failures_and_plots(scripted_run):
    directory, _ = scripted_run
    data = build_page_data(directory)
    raw = tg.Run(directory).steps()
    assert data["usage_total"]["calls"] == sum(s["usage"]["total"]["calls"] for s in raw) > 0
    tokens = sum(s["usage"]["total"]["prompt_tokens"] for s in raw)
    assert data["usage_total"]["prompt_tokens"] == tokens
    by_node = dict(data["usage_by_node"])
    assert by_node["solution:update"]["calls"] == STEPS + 1  # one retry after a bad answer
    assert data["roles"]["solution:update"] == "optimizer update of solution"
    kinds = [f["kind"] for f in data["failures"]]
    assert "step_failed" in kinds and "update retried" in kinds
    crash = next(f for f in data["failures"] if f["kind"] == "step_failed")
    assert crash["step"] == 1 and "docking tool crashed" in crash["message"]["text"]
    assert [p["name"] for p in data["plots"]] == ["plots/trajectory.png"]
    assert data["plots"][0]["uri"].startswith("data:image/png;base64,iVBORw0KGgo")


def test_html_is_self_contained(scripted_run):
    directory, _ = scripted_run
    page = write_report(directory).read_text(encoding="utf-8")
    assert not re.search(r"https?://", page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"<(script|link|img|iframe)[^>]*\s(src|href)=\"(?!data:)", page)
    assert page.count('class="step"') == STEPS
    assert '<b id="step-count">3</b>' in page
    assert FEEDBACK_TEXT in page


def test_running_or_killed_run_shows_what_is_there(tmp_path):
    run = tg.Run(tmp_path, {"steps": 5})
    with run.step(0) as s:
        s.record(losses={"qed": 0.4}, notes="first")
    with open(tmp_path / "steps.jsonl", "a", encoding="utf-8") as f:
        f.write('{"step": 1, "losses": {"qed": 0.')  # killed mid-write
    data = build_page_data(tmp_path)
    assert data["status"]["state"] == "running" and data["status"]["note"]
    assert data["n_steps"] == 1
    assert data["steps"][0]["graph"]["nodes"] == []
    assert ("notes", "first") in [(k, v["text"]) for k, v in data["steps"][0]["extras"]]
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert "No computation graph was recorded" in page and "running or stopped" in page
    assert "Click a variable in the graph" not in page


def test_empty_and_missing_directories(tmp_path, capsys):
    data = build_page_data(tmp_path)
    assert data["n_steps"] == 0 and data["status"]["state"] == "unknown"
    assert "No step has been completed yet" in write_report(tmp_path).read_text(encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="no run directory"):
        write_report(tmp_path / "absent")
    assert main(["report", str(tmp_path / "absent")]) == 2
    assert "no run directory" in capsys.readouterr().err
    tg.Run(tmp_path / "runs" / "molecule-1")
    assert main(["report", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert "is not a run directory" in err and "runs inside it: molecule-1" in err


def test_cli_writes_the_report(tmp_path, capsys):
    run = tg.Run(tmp_path, {"k": 1})
    run.finish({"best": 1})
    assert main(["report", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "report.html")
    assert (tmp_path / "report.html").stat().st_size > 1000


def test_secrets_never_reach_the_page(tmp_path, monkeypatch):
    secret = "sk-test" + "A1b2C3d4E5f6G7h8J9k0"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    meta = {
        "status": "completed",
        "config": {"api_key": secret, "base_note": f"called with {secret}"},
        "engine": {"model": "gpt-x", "header": f"Bearer {secret}"},
    }
    (tmp_path / "run.json").write_text(json.dumps(meta), encoding="utf-8")
    step = {"step": 0, "parameters": {"p": f"uses {secret}"}, "losses": {"x": 1}}
    (tmp_path / "steps.jsonl").write_text(json.dumps(step) + "\n", encoding="utf-8")
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert secret not in page and "A1b2C3d4" not in page
    assert "gpt-x" in page and "[REDACTED]" in page


def test_text_is_escaped_and_long_text_collapsed(tmp_path):
    run = tg.Run(tmp_path, {"x": "<b>bold</b>"})
    long_value = "<script>alert(1)</script> " + "word " * 200
    param = tg.Variable(long_value, "a parameter", name="p")
    with run.step(0) as s:
        s.record(parameters=[param], losses={"score": 1.0})
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "<b>bold</b>" not in page
    view = build_page_data(tmp_path)["steps"][0]["parameters"][0]
    assert view["value"]["collapsed"] and len(view["value"]["preview"]) <= 110
    assert '<details class="long' in page


def test_layout_layers_and_tolerates_bad_graphs():
    graph = {
        "nodes": [
            {"id": 1, "name": "x", "role": "input", "requires_grad": True, "function": None},
            {
                "id": 2,
                "name": "y",
                "role": "output",
                "requires_grad": True,
                "function": "LLMCall",
                "feedback": [{"text": "f", "source": "z"}],
            },
            {"id": 3, "name": "z", "role": "loss", "requires_grad": True, "function": "TextLoss"},
        ],
        "edges": [
            {"source": 1, "target": 2},
            {"source": 2, "target": 3},
            {"source": 9, "target": 3},
        ],
    }
    layout = layout_graph(graph, {"x"})
    nodes = {n["key"]: n for n in layout["nodes"]}
    assert nodes["1"]["x"] < nodes["fn-2"]["x"] < nodes["2"]["x"] < nodes["fn-3"]["x"]
    assert nodes["1"]["kind"] == "param" and nodes["3"]["kind"] == "loss"
    assert layout["n_variables"] == 3 and layout["n_functions"] == 2
    assert layout["n_feedback_edges"] == 1
    cycle = {
        "nodes": [{"id": 1}, {"id": 2}],
        "edges": [{"source": 1, "target": 2}, {"source": 2, "target": 1}],
    }
    assert layout_graph(cycle)["n_variables"] == 2
    assert layout_graph(None)["nodes"] == [] and layout_graph({"nodes": ["junk"]})["nodes"] == []


def test_text_diff():
    assert text_diff("same", "same") == []
    assert text_diff("CCO", "CCN") == [
        {"op": "~", "segments": [("eq", "CC"), ("del", "O"), ("ins", "N")]}
    ]
    changed = [k + t for r in text_diff('{"w": 10.92}', '{"w": 11.74}') for k, t in r["segments"]]
    assert changed == ['eq{"w": ', "del10.92", "ins11.74", "eq}"]  # numbers change as a whole
    old = "\n".join(f"line {i}" for i in range(30))
    rows = text_diff(old, old.replace("line 15", "line fifteen"))
    assert [r["op"] for r in rows] == ["…", "=", "=", "~", "=", "=", "…"]
    assert rows[3]["segments"] == [("eq", "line "), ("del", "15"), ("ins", "fifteen")]
    assert [r["op"] for r in text_diff("a\nb", "a\nb\nc")] == ["=", "=", "+"]


def test_score_series_skips_non_numbers():
    steps = [
        {"step": 0, "losses": {"a": 1, "b": "n/a", "c": True, "d": float("nan")}},
        {"step": 1, "losses": {"a": 0.5}},
        {"step": 2},
    ]
    assert score_series(steps) == {"a": [(0, 1.0), (1, 0.5)]}


def test_other_text_files_are_shown_and_huge_texts_cut(tmp_path):
    from textgrad_sci.report.data import MAX_TEXT

    run = tg.Run(tmp_path, {})
    huge = "x" * (MAX_TEXT + 500)
    with run.step(0) as s:
        s.record(parameters=[tg.Variable(huge, "a long parameter", name="p")])
    (tmp_path / "goals_table.txt").write_text("PTV D95  70.1 Gy  met\n", encoding="utf-8")
    (tmp_path / "weights.bin").write_bytes(b"\0\1")
    data = build_page_data(tmp_path)
    assert [name for name, _ in data["files"]] == ["goals_table.txt"]
    value = data["steps"][0]["parameters"][0]["value"]
    assert value["chars"] == len(huge) and "500 more characters" in value["text"]
    assert len(value["text"]) < MAX_TEXT + 100
    assert "PTV D95  70.1 Gy  met" in write_report(tmp_path).read_text(encoding="utf-8")


def test_damaged_records_still_make_a_page(tmp_path):
    lines = [
        {
            "step": 0,
            "graph": "oops",
            "losses": [1],
            "parameters": ["a"],
            "updates": {"x": 1},
            "usage": {"total": "x", "by_node": []},
            "timings": None,
            "time": 5,
        },
        {
            "step": "1",
            "graph": {
                "nodes": [
                    {"id": {"x": 1}, "name": None, "feedback": "just text"},
                    {"id": 2, "feedback": [{"text": None}]},
                ],
                "edges": [{"source": {"x": 1}, "target": 2}, "bad"],
            },
            "losses": {"a": None, "b": float("inf")},
        },
        {
            "parameters": {"p": None},
            "updates": [None, {"variable": "p", "attempts": "two", "errors": "e"}],
        },
        [1, 2, 3],
    ]
    text = "".join(json.dumps(line) + "\n" for line in lines)
    (tmp_path / "steps.jsonl").write_text(text, encoding="utf-8")
    (tmp_path / "run.json").write_text('{"config": [1], "engine": "local", "status": null}')
    (tmp_path / "events.jsonl").write_text('{"kind": null}\n"a bare string"\n')
    data = build_page_data(tmp_path)
    assert [s["step"] for s in data["steps"]] == [0, 1, 2, 3]
    graph = data["steps"][1]["graph"]
    assert graph["n_variables"] == 2 and len(graph["edges"]) == 1
    assert data["steps"][1]["nodes"][0]["feedback"][0]["text"]["text"] == "just text"
    assert data["charts"] == []
    assert ("engine", "local") in data["engine"]
    assert len(data["failures"]) == 3  # two events and the update with an error
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert "could not be laid out" not in page


def test_a_step_that_cannot_be_laid_out_shows_its_raw_record(scripted_run, monkeypatch):
    from textgrad_sci.report import data as page_data

    def broken(graph, params=None):
        if graph and graph.get("nodes"):
            raise RuntimeError("layout bug")
        return layout_graph(graph, params)

    directory, _ = scripted_run
    monkeypatch.setattr(page_data, "layout_graph", broken)
    data = build_page_data(directory)
    assert data["n_steps"] == STEPS
    extras = dict(data["steps"][0]["extras"])
    assert extras["this step could not be laid out"]["text"] == "RuntimeError: layout bug"
    assert FEEDBACK_TEXT in extras["raw record"]["text"]


def test_many_scores_fold_extra_charts(tmp_path):
    from textgrad_sci.report.render import MAX_CHARTS

    run = tg.Run(tmp_path, {})
    for i in range(2):
        with run.step(i) as s:
            s.record(losses={f"mol{k}.qed": 0.1 * k + i for k in range(MAX_CHARTS + 3)})
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert page.count('<figure class="chart"') == MAX_CHARTS + 3
    assert "3 more scores</summary>" in page
