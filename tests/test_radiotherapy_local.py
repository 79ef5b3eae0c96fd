"""One tuning step with the real embedded model: its plan must parse and validate."""

from __future__ import annotations

import json

import pytest
from textgrad_sci.domains.radiotherapy.workflow import TuneConfig, run_tuning

from textgrad_sci.engines import get_engine


@pytest.mark.local_model
def test_local_model_proposes_a_valid_plan(tmp_path):
    config = TuneConfig(case="tg119", resolution=12.0, steps=1, tuner="textgrad",
                        fmo_iterations=60, max_tokens=160, temperature=0.7, seed=0,
                        examples=False)
    engine = get_engine("local")
    summary = run_tuning(tmp_path / "run", config, engine=engine, progress=False)
    (step,) = [json.loads(line) for line in (tmp_path / "run" / "steps.jsonl").open()]
    (update,) = step["updates"]
    # Grammar-constrained decoding: every answer parsed as a plan; only the validator (bounds,
    # a target objective) may have sent one back, with its reason.
    assert all(e.startswith("the value was rejected: ") for e in update["errors"]), update
    assert update["attempts"] == len(update["errors"]) + (update["new_value"] is not None)
    if update["new_value"] is not None:
        assert update["new_value"].startswith('{"objectives": [')
    assert step["usage"]["total"]["calls"] >= 1
    assert summary["iterations"] == 1 and summary["goals_total"] == 3
