"""Accepted-update rate of TGD steps on the same answers, in process (tag grammar, or tags as
JSON with ``local?tags_as_json=1``) vs through
llama.cpp's own OpenAI-compatible server, with structured output over HTTP off (free text, as
before issue 14) and on; then generated tokens/s through the server vs in process, same run.

Same model (the embedded SmolLM2 GGUF), one thread each, temperature 0, repeat_penalty 1.0 on
both sides (the server's default is 1.1), no cache; the server runs alone while it is measured.

    python benchmarks/engines_server_structured.py [--steps 20] [--rounds 3] [--max-tokens 96]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import llama_server_support  # noqa: E402

import textgrad_sci as tg  # noqa: E402
from textgrad_sci.engines import get_engine  # noqa: E402

# (answer, feedback): wrong or weak answers with a critique that says what to change
CASES = [
    ("The capital of Australia is Sydney.", "Sydney is not the capital; Canberra is."),
    ("Water boils at 50 degrees Celsius at sea level.", "At sea level water boils at 100 C."),
    ("The largest planet in the solar system is Mars.", "Jupiter is the largest planet."),
    ("2 + 2 * 3 = 12.", "Multiplication comes first: 2 + 6 = 8."),
    ("Photosynthesis turns oxygen into sugar.", "It turns CO2 and water into sugar and O2."),
    ("The chemical symbol of gold is Ag.", "Ag is silver; gold is Au."),
    ("Light travels slower than sound.", "Light is far faster than sound."),
    ("A triangle has four sides.", "A triangle has three sides."),
    ("The heart has two chambers.", "The human heart has four chambers."),
    ("DNA stands for dinitro acid.", "DNA stands for deoxyribonucleic acid."),
    ("Shakespeare wrote Don Quixote.", "Cervantes wrote Don Quixote."),
    ("The square root of 81 is 8.", "The square root of 81 is 9."),
    ("Mount Everest is in the Alps.", "Everest is in the Himalayas."),
    ("Electrons carry a positive charge.", "Electrons are negatively charged."),
    ("The Pacific is the smallest ocean.", "The Pacific is the largest ocean."),
    ("Ice is denser than liquid water.", "Ice is less dense, which is why it floats."),
    ("The speed of light is 300 km/s.", "It is about 300,000 km/s."),
    ("Penguins live mostly at the North Pole.", "Penguins live in the Southern Hemisphere."),
    ("A year on Earth has 300 days.", "A year has about 365 days."),
    ("Sodium chloride is sugar.", "Sodium chloride is table salt."),
]
SAMPLING = {"max_tokens": 96, "repeat_penalty": 1.0}
PROMPT = "Write a short story about a robot who learns to paint. Use simple words."


def accepted_rate(engine, steps: int) -> tuple[float, float]:
    """(share of steps whose update was accepted, share accepted at the first attempt)."""
    accepted = first = 0
    for i in range(steps):
        answer, feedback = CASES[i % len(CASES)]
        x = tg.Variable(answer, role_description="a short answer to a factual question",
                        requires_grad=True, name="answer")  # fmt: skip
        x.add_gradient(feedback)
        [report] = tg.TGD([x], engine=engine, sampling=SAMPLING).step()
        accepted += report.accepted
        first += report.accepted and report.attempts == 1
    return accepted / steps, first / steps


def tokens_per_second(engine, max_tokens: int) -> float:
    started = time.perf_counter()
    response = engine.complete(engine.request(PROMPT, max_tokens=max_tokens, repeat_penalty=1.0))
    return response.completion_tokens / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=96)
    args = parser.parse_args()

    local = get_engine("local", cache=None, n_threads=1)
    local.load()
    local_json = get_engine("local?tags_as_json=1", cache=None, n_threads=1)
    with tempfile.TemporaryDirectory() as tmp:
        process, server = llama_server_support.start(Path(tmp))
        try:
            key = server.api_key
            before = get_engine(server.spec + "?structured_output=text&grammar_field=off",
                                api_key=key, cache=None)  # fmt: skip
            after = get_engine(server.spec, api_key=key, cache=None)
            rates = {
                "in process (grammar)": accepted_rate(local, args.steps),
                "in process (tags as JSON)": accepted_rate(local_json, args.steps),
                "server, free text (before)": accepted_rate(before, args.steps),
                "server, structured (after)": accepted_rate(after, args.steps),
            }
            for name, (rate, first) in rates.items():
                print(f"{name:28s} accepted {rate:6.0%}  (first attempt {first:.0%})")
            print(f"server structured mode learned: {after.structured_output} "
                  f"(refused: {sorted(after.refused)})")  # fmt: skip
            served, inproc = [], []
            tokens_per_second(after, 8), tokens_per_second(local, 8)  # warm both
            for _ in range(args.rounds):  # alternate, so machine noise hits both
                served.append(tokens_per_second(after, args.max_tokens))
                inproc.append(tokens_per_second(local, args.max_tokens))
        finally:
            llama_server_support.stop(process)
    s, p = statistics.median(served), statistics.median(inproc)
    print(f"rounds: server {[round(v, 1) for v in served]}, "
          f"in process {[round(v, 1) for v in inproc]}")
    print(f"engines_server_tokens_per_s: {s:.1f} tok/s (baseline: {p:.1f} tok/s in process, "
          f"ratio: {s / p:.2f})")


if __name__ == "__main__":
    main()
