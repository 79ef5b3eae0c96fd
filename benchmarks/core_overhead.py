"""Framework overhead per engine call, with a zero-latency engine and the run directory on.

Baseline: the same number of raw engine calls made directly (no graph, no run directory), in the
same run. Overhead per call = (time of the recorded optimization - time of the raw calls) / calls.
    python benchmarks/core_overhead.py
"""

from __future__ import annotations

import tempfile
import time

import textgrad_sci as tg

STEPS = 50
BATCH = 8
UPDATE = "<IMPROVED_VARIABLE>Answer with a single number.</IMPROVED_VARIABLE>"


def optimization(run_dir: str) -> tuple[float, int]:
    engine = tg.ScriptedEngine(UPDATE)
    prompt = tg.Variable("Answer the question.", "system prompt", requires_grad=True, name="prompt")
    model = tg.BlackboxLLM(engine, system_prompt=prompt)
    optimizer = tg.TGD([prompt], engine=engine, gradient_memory=2)
    loss_fn = tg.TextLoss("Evaluate the answer critically.", engine=engine)
    questions = [
        tg.Variable(f"question {i}", "question", requires_grad=False) for i in range(BATCH)
    ]
    run = tg.Run(run_dir, config={"steps": STEPS}, engine=engine)
    started = time.perf_counter()
    for step in run.remaining(STEPS):
        with run.step(step) as s:
            optimizer.zero_grad()
            total = tg.sum(loss_fn.batch(model.batch(questions)))
            total.backward(engine)
            reports = optimizer.step()
            s.record(
                parameters=[prompt],
                graph=tg.graph_snapshot(total),
                updates=reports,
                optimizer=optimizer,
            )
    return time.perf_counter() - started, engine.usage.snapshot()["total"]["calls"]


def raw_calls(n: int) -> float:
    engine = tg.ScriptedEngine(UPDATE)
    request = engine.request("question", system_prompt="Answer the question.")
    started = time.perf_counter()
    for _ in range(n):
        engine._complete(request)
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as run_dir:
        seconds, calls = optimization(run_dir)
    raw = raw_calls(calls)
    per_call = (seconds - raw) / calls * 1e3
    print(f"{calls} calls in {STEPS} recorded steps: {seconds:.3f} s; raw calls {raw:.4f} s")
    print(
        f"framework overhead: {per_call:.3f} ms/call (baseline: raw engine call "
        f"{raw / calls * 1e3:.4f} ms/call, ratio: {per_call / 1.0:.2f}x the 1 ms goal)"
    )


if __name__ == "__main__":
    main()
