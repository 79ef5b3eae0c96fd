"""Domain sections of run reports (entry points), their fallbacks on incomplete records, the
comparison page and the CLI, without a browser."""

from __future__ import annotations

import ast
import base64
import html as htmllib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from report_support import (
    CODE_FIXED,
    MOLECULE_START,
    PROMPTS,
    make_answer_run,
    make_code_run,
    make_molecule_run,
    make_prompt_run,
    make_radiotherapy_run,
)

from textgrad_sci.cli import main
from textgrad_sci.report import sections as sec
from textgrad_sci.report import write_report
from textgrad_sci.report.compare import build_compare_data, differing_settings
from textgrad_sci.report.data import build_page_data, load_run
from textgrad_sci.report.svg import mask_outline, png_uri

DOMAINS = ("molecule", "radiotherapy", "code", "prompt")
MAKERS = {"molecule": make_molecule_run, "radiotherapy": make_radiotherapy_run,
          "code": make_code_run, "prompt": make_prompt_run}


class Runs(dict):
    """One run per domain, made on first use (a domain's tool failing fails only its tests)."""

    def __init__(self, factory) -> None:
        super().__init__()
        self.factory = factory

    def __missing__(self, name: str) -> Path:
        directory = self.factory.mktemp(name)
        MAKERS[name](directory)
        self[name] = directory
        return directory

    def items(self):
        return [(name, self[name]) for name in MAKERS]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    return Runs(tmp_path_factory)


def _view(directory: Path) -> dict:
    return sec.run_view(load_run(directory))


def _forget_domain(directory: Path) -> None:
    meta = json.loads((directory / "run.json").read_text())
    meta["config"].pop("domain", None)
    (directory / "run.json").write_text(json.dumps(meta))


def test_each_domain_registers_a_section_module():
    names = {ep.name for ep in sec._entry_points()}
    assert set(DOMAINS) <= names
    for ep in sec._entry_points():
        module = ep.load()
        assert callable(module.applies) and callable(module.sections) and callable(module.results)


def test_the_core_report_never_imports_a_domain_or_a_loss():
    folder = Path(sec.__file__).parent
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not [n for n in names if "domains" in n or "losses" in n], (path, names)


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded-domain", "by-shape"])
def test_exactly_the_runs_own_domain_applies(runs, tmp_path, recorded):
    modules = {ep.name: ep.load() for ep in sec._entry_points() if ep.name in DOMAINS}
    for name, directory in runs.items():
        if not recorded:
            copy = tmp_path / name
            copy.mkdir()
            for f in directory.iterdir():
                if f.is_file():
                    (copy / f.name).write_bytes(f.read_bytes())
            _forget_domain(copy)
            directory = copy
        view = _view(directory)
        assert (view["domain"] == name) is recorded
        applying = [d for d, m in modules.items() if m.applies(view)]
        assert applying == [name], (name, applying)


def test_notebook_sections_come_first_and_the_summary_is_a_raw_toggle(runs):
    data = build_page_data(runs["molecule"])
    assert [s["id"] for s in data["notebook"]] == [
        "molecule-results", "molecule-pareto", "molecule-steps"]
    page = (write_report(runs["molecule"])).read_text()
    assert page.index('id="molecule-results"') < page.index('id="overview"')
    raw = page[page.index('id="raw-summary"'):]
    assert raw.startswith('id="raw-summary"><summary>raw summary')
    assert "&#34;pareto&#34;" in raw[:20000] or "&quot;pareto&quot;" in raw[:20000]
    assert '<h3>Summary</h3>' not in page  # the flattened dump is gone when a notebook exists


def test_molecule_section_draws_every_molecule(runs):
    made = json.loads((runs["molecule"] / "run.json").read_text())["summary"]
    html = "".join(str(s["html"]) for s in build_page_data(runs["molecule"])["notebook"])
    refs = made["tasks"][0]["references"]
    assert len(refs) == 3
    for r in refs:
        assert f'data-smiles="{r["smiles"]}"' in html
    assert html.count("<figure class=\"mol") >= 3 + len(refs) + 4 * 2
    assert "not drawn: C1CC( does not parse" in html  # the invalid proposal
    assert html.count("class='pair'") == 4
    assert "atoms: +1 F" in html  # what the first proposal changed
    assert "<svg" in html and "class='bond-0" in html  # RDKit's own drawing


def test_molecule_results_rebuilt_from_the_steps_of_an_unfinished_run(tmp_path):
    make_molecule_run(tmp_path, finish=False)
    module = next(ep.load() for ep in sec._entry_points() if ep.name == "molecule")
    rows = module.tasks(_view(tmp_path))
    assert rows[0]["start"]["smiles"] == MOLECULE_START and rows[0]["partial"]
    assert rows[0]["best"]["objective"] == max(
        p["objective"] for s in load_run(tmp_path)["steps"]
        for p in s["evaluations"] + s["proposals"] if p["objective"] is not None)
    html = "".join(str(s["html"]) for s in build_page_data(tmp_path)["notebook"])
    assert "the run did not finish" in html


def test_radiotherapy_report_fields_round_trip(runs):
    # The dose slice and masks written for the summary decode to the case's own arrays.
    from textgrad_sci.domains.radiotherapy.report import DOSE_SCALE

    made = make_radiotherapy_run(runs["radiotherapy"].parent / "rt-again")
    case, final, dose = made["case"], made["final"], made["summary"]["dose"]
    sl = dose["slice"]
    k = sl["index"]
    ny, nx = sl["shape"]
    decoded = np.frombuffer(base64.b64decode(sl["final"]), "<u2").reshape(ny, nx) * DOSE_SCALE
    assert np.allclose(decoded, final.dose.reshape(case.shape)[k], atol=DOSE_SCALE)
    bits = np.unpackbits(np.frombuffer(base64.b64decode(sl["masks"][case.target]), "uint8"))
    assert (bits[: ny * nx].reshape(ny, nx).astype(bool) == case.structures[case.target][k]).all()
    ptv = dose["dvh"]["final"][case.target]
    assert ptv[0] == [0.0, 100.0] and ptv[-1][1] == 0.0
    assert made["summary"]["final_goals"]["goals_met"] == final.goals_met


def test_radiotherapy_goal_table_and_missing_dose_named(runs, tmp_path):
    summary = json.loads((runs["radiotherapy"] / "run.json").read_text())["summary"]
    html = "".join(str(s["html"]) for s in build_page_data(runs["radiotherapy"])["notebook"])
    assert html.count("class=\"goal-row") == len(summary["goals"])
    for label, value in summary["final_goals"]["metrics"].items():
        assert f"{value:.2f}" in html, label
    assert "class=\"plotfig dvh\"" in html and html.count('class="dose-slice"') == 2
    make_radiotherapy_run(tmp_path, with_dose=False)
    html = "".join(str(s["html"]) for s in build_page_data(tmp_path)["notebook"])
    text = htmllib.unescape(html)
    assert "its summary has no 'dose' field" in text and "report_fields" in text


def test_code_section_tables_and_missing_fields(runs, tmp_path):
    html = "".join(str(s["html"]) for s in build_page_data(runs["code"])["notebook"])
    assert html.count("class=\"test-row") == 4  # 3 visible, 1 hidden
    assert "wrong answer" in html and "add(10, 5)" in html
    assert "<ins>" in html and "# add the two numbers" in html
    # Without summary.tests: the visible tests come from the graph, the hidden ones are named.
    make_code_run(tmp_path)
    meta = json.loads((tmp_path / "run.json").read_text())
    del meta["summary"]["tests"]
    (tmp_path / "run.json").write_text(json.dumps(meta))
    html = "".join(str(s["html"]) for s in build_page_data(tmp_path)["notebook"])
    assert html.count("class=\"test-row visible") == 3
    assert "summary.tests.hidden_start, summary.tests.hidden_best" in html
    assert CODE_FIXED.splitlines()[1].strip() in html


def test_code_bench_lists_problems_and_links_their_reports(tmp_path):
    import textgrad_sci as tg

    run = tg.Run(tmp_path, {"dataset": "humaneval", "limit": 2})
    for i, pid in enumerate(["HumanEval/0", "HumanEval/1"]):
        make_code_run(tmp_path / "problems" / pid.replace("/", "_"))
        write_report(tmp_path / "problems" / pid.replace("/", "_"))
        row = {"problem": pid, "steps": 2, "visible_before": False, "visible_after": True,
               "hidden_before": False, "hidden_after": bool(i), "hidden_passed_before": 0,
               "hidden_passed_after": i, "hidden_total": 1}
        with run.step(i) as s:
            s.record(losses={"hidden_passed_after": i}, problem=pid, row=row, best_code="")
    run.finish({"problems": 2, "hidden_before": 0.0, "hidden_after": 0.5, "visible_before": 0.0,
                "visible_after": 1.0})
    notebook = build_page_data(tmp_path)["notebook"]
    assert [s["id"] for s in notebook] == ["code-bench"]
    html = str(notebook[0]["html"])
    assert html.count("HumanEval/") == 2 and html.count("problems/HumanEval_") == 2
    assert "50% after refinement" in html
    assert build_compare_data([tmp_path, tmp_path])["final_rows"][0]["cells"][:2] == ["2", "0"]


def test_prompt_section_diffs_only_accepted_changes(runs):
    notebook = build_page_data(runs["prompt"])["notebook"]
    html = "".join(str(s["html"]) for s in notebook)
    assert html.count("class='prompt-step'") == 2
    assert "<div class='prompt-step' data-step='0'>" in html
    assert "<div class='prompt-step' data-step='2'>" not in html  # step 2 was reverted
    assert PROMPTS[-1] in html and 'data-series="validation"' in html


def test_answer_section_by_shape(tmp_path):
    make_answer_run(tmp_path)
    view = _view(tmp_path)
    assert view["domain"] is None  # recognised by its records: steps with answer and vote
    notebook = build_page_data(tmp_path)["notebook"]
    assert [s["id"] for s in notebook] == ["answer-steps"]
    html = htmllib.unescape(str(notebook[0]["html"]))
    assert "Majority vote: 5 (correct; expected 5)" in html and "What is 2+3?" in html
    assert html.count("<tr>") == 1 + 3 and "<del>6</del><ins>5</ins>" in html


def test_model_text_is_escaped_in_sections(tmp_path):
    make_prompt_run(tmp_path)
    lines = (tmp_path / "steps.jsonl").read_text().splitlines()
    record = json.loads(lines[-1])
    record["predictions"][0]["response"] = "<script>alert(1)</script>"
    lines[-1] = json.dumps(record)
    (tmp_path / "steps.jsonl").write_text("\n".join(lines) + "\n")
    page = write_report(tmp_path).read_text()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_a_broken_section_shows_a_note_and_the_page_is_written(runs, monkeypatch):
    module = next(ep.load() for ep in sec._entry_points() if ep.name == "code")

    def broken(run):
        raise KeyError("tested_code")

    monkeypatch.setattr(module, "sections", broken)
    page = write_report(runs["code"]).read_text()
    assert "The code section could not be drawn: KeyError" in page
    assert 'id="overview"' in page


def test_comparison_data(runs, tmp_path):
    other = tmp_path / "other"
    make_prompt_run(other, val=(0.25, 0.5, 0.9), lr_label="b")
    data = build_compare_data([runs["prompt"], other])
    assert [k for k, _ in data["differing"]] == ["train.label"]
    assert {c["name"] for c in data["charts"]} == {"train_accuracy", "val_accuracy",
                                                   "test_accuracy"}
    assert str(data["charts"][1]["svg"]).count('class="series"') == 2
    head = data["final_head"]
    finals = [dict(zip(head, r["cells"], strict=True)) for r in data["final_rows"]]
    assert [f["validation (final)"] for f in finals] == ["0.75", "0.9"]
    assert differing_settings([{"a": "1"}, {"a": "1", "b": "2"}]) == [("b", ["—", "2"])]


def test_cli_compares_runs_and_rejects_bad_input(runs, tmp_path, capsys):
    out = tmp_path / "compare.html"
    assert main(["report", str(runs["molecule"]), str(runs["prompt"]), "--out", str(out)]) == 0
    page = out.read_text()
    assert "default-src 'none'" in page and "best objective" in page
    assert capsys.readouterr().out.strip() == str(out)
    assert main(["report", str(runs["prompt"]), str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no run directory" in err
    assert main(["report", str(runs["prompt"]), str(runs["code"]), "--out", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_svg_helpers():
    from matplotlib.image import imread

    uri = png_uri([bytes([255, 0, 0, 0, 0, 255])], 2)
    pixels = imread(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])), format="png")
    assert pixels.shape == (1, 2, 3) and pixels[0, 0].tolist() == [1.0, 0.0, 0.0]
    square = [[False] * 4, [False, True, True, False], [False, True, True, False], [False] * 4]
    path = mask_outline(square)
    assert path.count("M") == 8 and "M1,1h1" in path and "M3,1v1" in path


def test_code_test_fields_from_real_results():
    from textgrad_sci.domains.code.report import test_fields
    from textgrad_sci.losses.sandbox import RunResult, TestResult

    from textgrad_sci.tool_loss import Measurement

    run = RunResult([TestResult(0, "t0", "passed", input="f(1)", expected="2", actual="2"),
                     TestResult(1, "t1", "wrong_answer", input="f(2)", expected="3", actual="4")])
    measured = Measurement({"passed": 1}, "1 of 2 tests failed", 0.5, detail=run)
    fields = test_fields(visible_start=run, visible_best=measured, hidden_start=None,
                         hidden_best="the sandbox failed")
    assert set(fields["tests"]) == {"visible_start", "visible_best"}
    assert [t["status"] for t in fields["tests"]["visible_best"]] == ["passed", "wrong_answer"]
    json.dumps(fields)  # it goes into run.json


def test_a_recorded_domain_loads_only_its_module(runs, monkeypatch):
    class Broken:
        name = "molecule"

        def load(self):
            raise ImportError("rdkit is missing")

    real = [ep for ep in sec._entry_points() if ep.name == "code"]
    monkeypatch.setattr(sec, "_entry_points", lambda: (Broken(), *real))
    notebook, problems = sec.domain_sections(_view(runs["code"]))
    assert problems == [] and [s["id"] for s in notebook] == ["code-tests", "code-diffs"]
    meta = runs["code"] / "run.json"
    saved = meta.read_text()
    _forget_domain(runs["code"])  # without a recorded domain every module is asked
    try:
        notebook, problems = sec.domain_sections(_view(runs["code"]))
        assert problems == ["molecule: ImportError: rdkit is missing"]
        assert [s["id"] for s in notebook] == ["code-tests", "code-diffs"]
    finally:
        meta.write_text(saved)


def test_radiotherapy_section_from_report_fields_without_fmo(tmp_path):
    # The dose of two plans made up on the prostate phantom (no fluence optimization): the
    # section draws what report_fields recorded, goals included.
    from textgrad_sci.domains.radiotherapy import load_case, load_goals
    from textgrad_sci.domains.radiotherapy.report import report_fields
    from textgrad_sci.losses.plan_goals import PlanEvaluation, evaluate_goals

    import textgrad_sci as tg

    case = load_case("prostate", 12.0)
    goals = load_goals("prostate", case.prescription_gy)
    target = case.structures[case.target].astype(float)
    evaluations = []
    for level in (0.9, 1.0):
        dose = case.prescription_gy * level * target + 5.0 * case.structures["BODY"]
        evaluations.append(PlanEvaluation("{}", evaluate_goals(dose, case.structures, goals),
                                          dose=dose))
    start, final = evaluations
    run = tg.Run(tmp_path, {"domain": "radiotherapy", "case": "prostate"})
    with run.step(0) as s:
        s.record(losses={"goal_score": start.score}, evaluated_plan="{}", goals=start.numbers())
    run.finish({"score_final": final.score, **report_fields(case, goals, start, final)})
    html = htmllib.unescape(
        "".join(str(s["html"]) for s in build_page_data(tmp_path)["notebook"]))
    assert html.count('class="goal-row') == len(goals)
    label = f"{case.target} D95"
    assert f"{start.numbers()['metrics'][label]:.2f}" in html
    assert f"{final.numbers()['metrics'][label]:.2f}" in html
    assert f"in the final plan; goal score {start.score:.3f} → {final.score:.3f}" in html
    n = len([m for m in case.structures.values() if m.any()]) - 1  # every structure but BODY
    assert html.count('class="series"') == 2 * n
    assert html.count('class="dose-slice"') == 2 and 'data-structure="BODY"' in html
