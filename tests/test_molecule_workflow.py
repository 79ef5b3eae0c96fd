"""The molecule loss and the optimization workflow end to end (scripted and local engines)."""

from __future__ import annotations

import json
import math

import pytest
from molecule_support import ASPIRIN, SMALL_LIGAND, TARGET, cache_dir, service, smiles_answer
from textgrad_sci.domains.molecule.pareto import pareto_front
from textgrad_sci.domains.molecule.tasks import MoleculeConfig, MoleculeTask, read_tasks
from textgrad_sci.domains.molecule.workflow import MoleculeOptimization, analogue_format
from textgrad_sci.losses.chem import loss as chem_loss
from textgrad_sci.losses.chem.edits import analogues
from textgrad_sci.losses.chem.loss import MoleculeLoss
from textgrad_sci.losses.chem.references import reference_drugs

from textgrad_sci import Run, ScriptedEngine, Variable
from textgrad_sci.cli import main

BETTER = "CCN(CC)C(=O)c1ccc(C)cc1"


def test_loss_renders_numbers_with_meaning_and_references(monkeypatch):
    assert [d.name for d in reference_drugs("drd2")] == ["haloperidol", "risperidone",
                                                         "olanzapine"]
    olanzapine = reference_drugs("DRD2")[2]  # one reference keeps the test fast
    monkeypatch.setattr(chem_loss, "reference_drugs", lambda target: [olanzapine])
    loss = MoleculeLoss(TARGET, service())
    mol = Variable(SMALL_LIGAND, "molecule", requires_grad=True)
    out = loss(mol)
    assert "QED" in out.value and "kcal/mol" in out.value and "lower (more" in out.value
    assert "olanzapine (Vina -" in out.value and "Approved drugs for DRD2" in out.value
    assert out.data["numbers"]["vina"] < 0 and 0 < out.data["numbers"]["qed"] < 1
    assert [r["name"] for r in out.data["references"]] == ["olanzapine"]
    out.backward(ScriptedEngine("unused"))
    feedback = mol.get_gradient_text()
    assert "Candidate small changes" in feedback and "small (13 heavy atoms)" in feedback


def test_loss_turns_failures_into_feedback():
    loss = MoleculeLoss(TARGET, service())
    bad = Variable("C1CC", "molecule")
    out = loss(bad)
    assert "not valid" in out.value and "unclosed ring" in out.value
    assert out.data["numbers"] == {"valid": 0.0}
    out.backward()
    assert "rings are closed" in bad.get_gradient_text()
    assert math.isinf(loss.score("C1CC")) and loss.score(SMALL_LIGAND) < 0


def test_llm_feedback_mode_asks_the_engine():
    engine = ScriptedEngine("Add a methyl group para to the amide.")
    loss = MoleculeLoss(TARGET, service(), references=False, feedback="llm", engine=engine)
    mol = Variable(SMALL_LIGAND, "molecule")
    loss(mol).backward()
    assert mol.get_gradient_text() == "Add a methyl group para to the amide."
    assert "kcal/mol" in engine.requests[0].messages[-1][1]


def test_pareto_front():
    pts = [{"canonical": "a", "qed": 0.5, "vina": -6}, {"canonical": "b", "qed": 0.7, "vina": -5},
           {"canonical": "c", "qed": 0.4, "vina": -5.5}, {"canonical": "d", "qed": None}]
    assert [p["canonical"] for p in pareto_front(pts)] == ["a", "b"]


def test_analogue_grammar_lists_only_the_suggested_molecules():
    fmt = analogue_format(ASPIRIN, 3, seed=5)
    listed = [s for s, _ in analogues(ASPIRIN, 3, seed=5)]
    assert len(listed) == 3 and all(json.dumps(s) in fmt.body_gbnf for s in listed)
    import llama_cpp

    assert llama_cpp.LlamaGrammar.from_string(fmt.grammar(), verbose=False) is not None


def _run(tmp_path, answers, steps, **config):
    engine = ScriptedEngine(answers)
    tasks = (MoleculeTask("m0", SMALL_LIGAND, TARGET),)
    wf = MoleculeOptimization(MoleculeConfig(tasks=tasks, steps=steps, **config), service(), engine)
    return wf, wf.run(Run(tmp_path / "run", {"test": True}, engine))


def test_scripted_optimization_records_every_proposal_and_resumes(tmp_path):
    answers = [smiles_answer("CC(C"), smiles_answer(BETTER), smiles_answer(SMALL_LIGAND),
               smiles_answer("CCCCCC")]
    wf, summary = _run(tmp_path, answers[:2], steps=1)
    steps = [json.loads(line) for line in (tmp_path / "run" / "steps.jsonl").open()]
    assert len(steps) == 1
    update = steps[0]["updates"][0]
    assert update["accepted"] and update["new_value"] == BETTER
    assert "parentheses" in update["errors"][0]  # the invalid answer went back to the model
    proposal = steps[0]["proposals"][0]
    assert proposal["smiles"] == BETTER and proposal["vina"] < 0 and proposal["qed"] > 0
    assert steps[0]["evaluations"][0]["smiles"] == SMALL_LIGAND
    assert set(steps[0]["losses"]) >= {"m0.qed", "m0.vina", "m0.objective"}
    assert summary["tasks"][0]["final"]["smiles"] == BETTER
    # Resume with one more step: the run continues from the recorded value.
    wf2, summary2 = _run(tmp_path, answers[2:], steps=2, gate=True)
    steps = [json.loads(line) for line in (tmp_path / "run" / "steps.jsonl").open()]
    assert [s["step"] for s in steps] == [0, 1]
    assert steps[1]["evaluations"][0]["smiles"] == BETTER
    assert "same molecule" not in json.dumps(steps[1]["updates"])  # SMALL_LIGAND differs
    gated = steps[1]["updates"][0]
    assert gated["score_before"] is not None and gated["score_after"] is not None
    assert (tmp_path / "run" / "pareto.json").exists() and summary2["pareto"]["m0"]


def test_batch_file_parsing(tmp_path):
    csv = tmp_path / "b.csv"
    csv.write_text("name,smiles,target\na,CCO,drd2\nb,CCN,ESR1\n")
    assert read_tasks(csv) == [MoleculeTask("a", "CCO", "DRD2"), MoleculeTask("b", "CCN", "ESR1")]
    smi = tmp_path / "b.smi"
    smi.write_text("# comment\nCCO\nCCN ESR1\n")
    assert [t.target for t in read_tasks(smi, "DRD2")] == ["DRD2", "ESR1"]
    with pytest.raises(ValueError, match="no target"):
        read_tasks(smi)
    with pytest.raises(ValueError, match="unknown docking target"):
        read_tasks(csv.with_name("c.csv").write_text("smiles,target\nCCO,XYZ\n") and
                   csv.with_name("c.csv"))


def test_cli_optimize_writes_run_dir_plots_and_table(tmp_path, capsys):
    service().dock(SMALL_LIGAND, TARGET)
    service().dock(BETTER, TARGET)
    args = ["molecule", "optimize", "--smiles", SMALL_LIGAND, "--target", TARGET,
            "--steps", "1", "--exhaustiveness", "1", "--seed", "4242", "--no-references",
            "--engine", f"scripted:{smiles_answer(BETTER)}", "--cache-dir", str(cache_dir()),
            "--run-dir", str(tmp_path / "cli"), "--no-progress"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "final" in out and BETTER in out and "objective" in out
    assert (tmp_path / "cli" / "plots" / "trajectory.png").stat().st_size > 1000
    assert (tmp_path / "cli" / "plots" / "qed_vs_vina.png").stat().st_size > 1000
    meta = json.loads((tmp_path / "cli" / "run.json").read_text())
    assert meta["status"] == "completed" and meta["config"]["proposals"] == "free"
    # Resume the finished run for one more step: settings come from its run.json.
    assert main(["molecule", "optimize", "--resume", str(tmp_path / "cli"), "--steps", "2",
                 "--no-progress", "--cache-dir", str(cache_dir())]) == 0
    steps = [json.loads(line) for line in (tmp_path / "cli" / "steps.jsonl").open()]
    assert [s["step"] for s in steps] == [0, 1]
    assert steps[1]["evaluations"][0]["smiles"] == BETTER
    assert json.loads((tmp_path / "cli" / "run.json").read_text())["resumed"] == 1
    assert main(["molecule", "optimize", "--smiles", "C1CC", "--target", TARGET,
                 "--engine", "scripted:x", "--run-dir", str(tmp_path / "bad")]) == 2
    assert "unclosed ring" in capsys.readouterr().err


@pytest.mark.local_model
def test_local_model_step_proposes_a_valid_analogue(tmp_path):
    from textgrad_sci import get_engine

    engine = get_engine("local")
    config = MoleculeConfig(tasks=(MoleculeTask("m0", SMALL_LIGAND, TARGET),), steps=1,
                            proposals="analogues", references=False, max_tokens=64)
    wf = MoleculeOptimization(config, service(), engine)
    summary = wf.run(Run(tmp_path / "local", {}, engine))
    steps = [json.loads(line) for line in (tmp_path / "local" / "steps.jsonl").open()]
    update = steps[0]["updates"][0]
    allowed = [s for s, _ in analogues(SMALL_LIGAND, 4, seed=1234)]
    assert update["accepted"] and update["new_value"] in allowed
    assert summary["tasks"][0]["final"]["vina"] is not None
