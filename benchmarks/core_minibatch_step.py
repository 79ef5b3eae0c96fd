"""One training step on a 16-example minibatch with an engine that takes 200 ms per call:
BlackboxLLM with a trainable system prompt, a TextLoss per example, `sum`, backward, one TGD step.

textgrad-sci runs the minibatch forward, the losses and the backward levels concurrently; the
critical path is 5 calls deep (forward, loss, two backward levels, update). The baseline is the
same step in TextGrad 0.1.8 (its own venv, see core_import_time.py), measured in the same run.
    python benchmarks/core_minibatch_step.py --textgrad-python /tmp/tgbench/bin/python
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
import time

LATENCY = 0.2
BATCH = 16
UPDATE = "<IMPROVED_VARIABLE>Answer with a single number.</IMPROVED_VARIABLE>"

TEXTGRAD_STEP = textwrap.dedent(
    f"""
    import threading, time
    import textgrad as tg
    from textgrad.engine import EngineLM

    class Sleepy(EngineLM):
        model_string = "sleepy"
        def __init__(self):
            self.calls = 0
            self.lock = threading.Lock()
        def generate(self, prompt, system_prompt=None, **kwargs):
            with self.lock:
                self.calls += 1
            time.sleep({LATENCY})
            return "{UPDATE}"
        def __call__(self, prompt, **kwargs):
            return self.generate(prompt, **kwargs)

    engine = Sleepy()
    tg.set_backward_engine(engine, override=True)
    system_prompt = tg.Variable("Answer the question.", requires_grad=True,
                                role_description="system prompt to the language model")
    model = tg.BlackboxLLM(engine, system_prompt=system_prompt)
    optimizer = tg.TGD(parameters=[system_prompt], engine=engine)
    loss_fn = tg.TextLoss("Evaluate the answer critically.", engine=engine)
    started = time.perf_counter()
    losses = []
    for i in range({BATCH}):
        question = tg.Variable(f"question {{i}}", requires_grad=False, role_description="question")
        losses.append(loss_fn(model(question)))
    total = tg.sum(losses)
    total.backward()
    optimizer.step()
    print(time.perf_counter() - started, engine.calls)
    """
)


def ours() -> tuple[float, int]:
    import textgrad_sci as tg

    engine = tg.ScriptedEngine(UPDATE, latency=LATENCY)
    system_prompt = tg.Variable(
        "Answer the question.", "system prompt to the language model", requires_grad=True
    )
    model = tg.BlackboxLLM(engine, system_prompt=system_prompt)
    optimizer = tg.TGD([system_prompt], engine=engine)
    loss_fn = tg.TextLoss("Evaluate the answer critically.", engine=engine)
    started = time.perf_counter()
    questions = [
        tg.Variable(f"question {i}", "question", requires_grad=False) for i in range(BATCH)
    ]
    losses = loss_fn.batch(model.batch(questions))
    total = tg.sum(losses)
    total.backward(engine)
    optimizer.step()
    return time.perf_counter() - started, engine.usage.snapshot()["total"]["calls"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--textgrad-python", default="/tmp/tgbench/bin/python")
    args = parser.parse_args()
    seconds, calls = ours()
    bound = 5 * LATENCY
    with tempfile.TemporaryDirectory() as cwd:  # TextGrad writes a logs/ folder into its cwd
        out = subprocess.run(
            [args.textgrad_python, "-c", TEXTGRAD_STEP],
            capture_output=True,
            text=True,
            check=True,
            cwd=cwd,
        )
    tg_seconds, tg_calls = out.stdout.split()
    tg_seconds = float(tg_seconds)
    print(
        f"textgrad-sci: {seconds:.2f} s, {calls} calls; critical path {bound:.2f} s "
        f"({seconds / bound:.2f}x the bound)"
    )
    print(f"textgrad 0.1.8: {tg_seconds:.2f} s, {tg_calls} calls")
    print(
        f"16-example step at 200 ms/call: {seconds:.2f} s (baseline: textgrad {tg_seconds:.2f} s, "
        f"ratio: {tg_seconds / seconds:.1f}x faster)"
    )


if __name__ == "__main__":
    sys.exit(main())
