"""A 20-step optimization through a local OpenAI-compatible server with 30% injected faults
(429, 500, truncated body, garbage JSON, hung response) vs the same server without faults.

Behind the server sits a deterministic replayed engine: a cassette recorded from a scripted
run answers every request, so both runs must end with the same variables; the faulted run
reports its retries.

    python benchmarks/engines_faults.py [--steps 20] [--fault-rate 0.3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from engines_support import FAULTS, FakeOpenAIServer  # noqa: E402

import textgrad_sci as tg  # noqa: E402
from textgrad_sci.engines import RetryPolicy, ScriptedEngine, get_engine  # noqa: E402
from textgrad_sci.engines.replay import read_cassette  # noqa: E402

MODEL = "bench-model"


def scripted_answer(request) -> str:
    digest = hashlib.sha256(repr(request.messages).encode()).hexdigest()[:8]
    if request.output is not None:
        return f"<IMPROVED_VARIABLE>protocol revision {digest}</IMPROVED_VARIABLE>"
    return f"The protocol lacks controls ({digest}); name the control group."


def optimize(engine, run_dir: Path, steps: int) -> list[str]:
    protocol = tg.Variable("measure it", role_description="an assay protocol", name="protocol")
    optimizer = tg.TGD([protocol], engine=engine, gradient_memory=2)
    loss_fn = tg.TextLoss("Critique this assay protocol in one sentence.", engine=engine)
    run = tg.Run(run_dir, {"steps": steps}, engine)
    run.restore([protocol], optimizer)
    for i in run.remaining(steps):
        with run.step(i) as s:
            optimizer.zero_grad()
            loss = loss_fn(protocol)
            loss.backward(engine)
            reports = optimizer.step()
            s.record(parameters=[protocol], losses={"chars": len(protocol.value)}, updates=reports)
    run.finish({"final": protocol.value})
    return [step["parameters"]["protocol"] for step in run.steps()]


def replay_responder(cassette: Path):
    answers = {}
    for record in read_cassette(cassette):
        if record.get("kind") == "call":
            messages = json.dumps(record["request"]["messages"], sort_keys=True)
            answers[messages] = record["response"]["text"]

    def respond(body: dict):
        text = answers.get(json.dumps(body["messages"], sort_keys=True))
        if text is None:
            return ("status", 400, {}, '{"error": {"message": "request not in cassette"}}')
        return text

    return respond


def through_server(cassette: Path, root: Path, name: str, steps: int, rate: float) -> dict:
    faults = FAULTS + (("hang", 1.0),)
    with FakeOpenAIServer(replay_responder(cassette), fault_rate=rate, seed=1, faults=faults) as s:
        retry = RetryPolicy(max_attempts=10, base_delay=0.02, max_delay=0.2)
        engine = get_engine(f"openai:{MODEL}@{s.url}", api_key="none-needed", cache=False,
                            retry=retry, timeout=0.3)  # fmt: skip
        started = time.perf_counter()
        values = optimize(engine, root / name, steps)
        seconds = time.perf_counter() - started
        usage = engine.usage.total
        return {"name": name, "seconds": seconds, "values": values, "calls": usage.calls,
                "retries": usage.retries, "failures": usage.failures,
                "requests": len(s.requests), "faults": s.faults_injected}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    args = parser.parse_args()
    logging.getLogger("textgrad_sci.engines").setLevel(logging.ERROR)  # retries are counted
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cassette = root / "reference.cassette.jsonl"
        recorder = get_engine(ScriptedEngine(scripted_answer, model=MODEL), record=cassette)
        reference = optimize(recorder, root / "reference", args.steps)
        clean = through_server(cassette, root, "no faults", args.steps, 0.0)
        faulty = through_server(cassette, root, f"{args.fault_rate:.0%} faults", args.steps,
                                args.fault_rate)  # fmt: skip
    header = f"{'run':<12} {'seconds':>8} {'calls':>6} {'requests':>8} {'faults':>6} "
    print(header + f"{'retries':>7} {'failures':>8}")
    for r in (clean, faulty):
        print(f"{r['name']:<12} {r['seconds']:>8.2f} {r['calls']:>6} {r['requests']:>8} "
              f"{r['faults']:>6} {r['retries']:>7} {r['failures']:>8}")  # fmt: skip
    same = clean["values"] == reference and faulty["values"] == reference
    print(f"steps: {len(faulty['values'])}; same result as the recorded run at every step: "
          f"{'yes' if same else 'NO'}; final value: {faulty['values'][-1]!r}")  # fmt: skip
    print(
        f"engines_faults: {faulty['seconds']:.2f} s "
        f"(baseline: {clean['seconds']:.2f} s, ratio: {faulty['seconds'] / clean['seconds']:.2f})"
    )
    if not same or len(faulty["values"]) != args.steps:
        sys.exit(1)


if __name__ == "__main__":
    main()
