"""finish_run: a finished run's page says so; a broken report never loses the run."""

from __future__ import annotations

import json

import textgrad_sci as tg
from textgrad_sci import report


def test_finish_run_marks_the_run_completed_before_writing_the_page(tmp_path):
    run = tg.Run(tmp_path, config={"steps": 1})
    with run.step(0) as s:
        s.record(losses={"score": 1.0})
    path = report.finish_run(run, {"best": 1.0})
    assert path == tmp_path / "report.html"
    assert json.loads((tmp_path / "run.json").read_text())["status"] == "completed"
    page = path.read_text()
    assert "completed" in page and "no finish was recorded" not in page


def test_a_failing_report_is_recorded_not_raised(tmp_path, monkeypatch, capsys):
    def broken(_run_dir):
        raise RuntimeError("template missing")

    monkeypatch.setattr(report, "write_report", broken)
    run = tg.Run(tmp_path)
    assert report.finish_run(run, {"best": 1.0}) is None
    assert json.loads((tmp_path / "run.json").read_text())["status"] == "completed"
    assert run.events()[-1]["kind"] == "report_failed"
    assert "template missing" in capsys.readouterr().err
