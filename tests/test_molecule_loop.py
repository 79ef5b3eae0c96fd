"""The molecule workflow on the shared loop: feedback in the recorded graphs, a killed run
resumed to the same result, failed and interrupted runs, and the random baseline's records."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from molecule_support import CHAIN, SMALL_LIGAND, TARGET, cache_dir, chain_answer, service
from textgrad_sci.domains.molecule.tasks import MoleculeConfig, MoleculeTask
from textgrad_sci.domains.molecule.workflow import MoleculeOptimization
from textgrad_sci.losses.chem.edits import analogues

from textgrad_sci import Run, ScriptedEngine

TESTS = Path(__file__).resolve().parent
FAST_OPTIONS = ["--exhaustiveness", "1", "--cpu", "2", "--seed", "4242", "--no-references",
                "--quiet", "--cache-dir", str(cache_dir() / "docking")]


def _steps(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "steps.jsonl").open()]


def _optimize(tmp_path: Path, name: str, strategy: str, steps: int = 2, tasks=None) -> list[dict]:
    tasks = tasks or (MoleculeTask("m0", SMALL_LIGAND, TARGET),)
    config = MoleculeConfig(tasks=tasks, steps=steps, strategy=strategy, references=False,
                            gate=True)
    engine = ScriptedEngine(chain_answer) if strategy == "textgrad" else None
    MoleculeOptimization(config, service(), engine).run(Run(tmp_path / name, {}, engine))
    return _steps(tmp_path / name)


def test_recorded_graphs_hold_the_feedback_of_every_updated_molecule(tmp_path):
    tasks = (MoleculeTask("m0", SMALL_LIGAND, TARGET), MoleculeTask("m1", CHAIN[2], TARGET))
    steps = _optimize(tmp_path, "graph", "textgrad", steps=1, tasks=tasks)
    record = steps[0]
    updated = {u["variable"] for u in record["updates"] if u["new_value"] is not None}
    assert updated == {"m0", "m1"}  # one TGD, one parameter group (own score) per task
    assert all(u["score_before"] is not None for u in record["updates"])
    nodes = {n["name"]: n for n in record["graph"]["nodes"]}
    for name in updated:
        feedback = nodes[name]["feedback"]
        assert feedback and "Drug-likeness (RDKit QED)" in feedback[0]["text"]
        assert "Candidate small changes" in feedback[0]["text"]
    for u in record["updates"]:
        kept = u["new_value"] if u["accepted"] else u["old_value"]
        assert record["parameters"][u["variable"]] == kept
    assert [u["new_value"] for u in record["updates"]] == [CHAIN[1], CHAIN[3]]


def test_random_baseline_runs_through_the_loop_and_records_the_same_fields(tmp_path):
    textgrad = _optimize(tmp_path, "tgd", "textgrad")
    baseline = _optimize(tmp_path, "random", "random")
    for a, b in zip(textgrad, baseline, strict=True):
        assert set(a) == set(b)
        assert set(a["updates"][0]) == set(b["updates"][0])
        assert set(a["proposals"][0]) == set(b["proposals"][0])
    first = baseline[0]["updates"][0]
    assert first["new_value"] in [s for s, _ in analogues(SMALL_LIGAND, 4, seed=1234)]
    assert first["score_before"] is not None and first["score_after"] is not None
    assert first["accepted"] == (first["score_after"] <= first["score_before"])
    assert not any(n["feedback"] for n in baseline[0]["graph"]["nodes"])  # no backward ran


def _cli(run_dir: Path, *options: str, engine: str = "chain:0") -> subprocess.Popen:
    args = ["molecule", "optimize", "--run-dir", str(run_dir), *options]
    if not any(o == "--resume" for o in options):
        args += ["--smiles", SMALL_LIGAND, "--target", TARGET, "--steps", "3",
                 "--engine", engine, *FAST_OPTIONS]
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    return subprocess.Popen([sys.executable, str(TESTS / "molecule_support.py"), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)


def _wait_for_steps(run_dir: Path, n: int, proc: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        steps = run_dir / "steps.jsonl"
        if steps.exists() and steps.read_text().count("\n") >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {n} recorded step(s): {proc.poll()} {proc.stderr.read()}")


def test_killed_cli_run_resumes_to_the_same_final_molecule(tmp_path):
    whole = _cli(tmp_path / "whole")
    assert whole.wait(300) == 0, whole.stderr.read()
    killed = _cli(tmp_path / "killed", engine="chain:1.5")
    _wait_for_steps(tmp_path / "killed", 1, killed)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(30)
    assert len(_steps(tmp_path / "killed")) == 1
    resumed = _cli(tmp_path / "killed", "--resume", str(tmp_path / "killed"), "--quiet")
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    final, again = _steps(tmp_path / "whole"), _steps(tmp_path / "killed")
    assert [s["step"] for s in again] == [0, 1, 2]
    assert [s["parameters"] for s in again] == [s["parameters"] for s in final]
    assert again[-1]["parameters"] == {"mol0": CHAIN[3]}
    meta = json.loads((tmp_path / "killed" / "run.json").read_text())
    assert meta["status"] == "completed" and meta["resumed"] == 1
    assert meta["summary"]["tasks"] == json.loads(
        (tmp_path / "whole" / "run.json").read_text())["summary"]["tasks"]
    assert CHAIN[3] in out


def test_unreachable_engine_fails_and_ctrl_c_interrupts_with_one_line(tmp_path):
    failed = _cli(tmp_path / "failed", engine="openai:m@http://127.0.0.1:9/v1")
    _, err = failed.communicate(timeout=300)
    assert failed.returncode == 1 and "Traceback" not in err, err
    # The engine logs its retries; the command itself prints one line, the last.
    lines = [line for line in err.splitlines() if line.startswith("textgrad-sci")]
    assert lines == err.strip().splitlines()[-1:] and "the engine failed" in lines[0]
    meta = json.loads((tmp_path / "failed" / "run.json").read_text())
    assert meta["status"] == "failed" and "engine" in meta["summary"]["error"]
    stopped = _cli(tmp_path / "stopped", engine="chain:3")
    _wait_for_steps(tmp_path / "stopped", 1, stopped)
    time.sleep(0.5)
    os.kill(stopped.pid, signal.SIGINT)
    _, err = stopped.communicate(timeout=60)
    assert stopped.returncode == 130
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err, err
    meta = json.loads((tmp_path / "stopped" / "run.json").read_text())
    assert meta["status"] == "interrupted"
