"""Generated tokens/s through LocalEngine vs llama-cpp-python called directly, same run.

Same model file, prompt and settings (temperature 0, seed 0, one thread by default, no cache);
rounds alternate between the two so machine noise hits both. Also reports the time to first
call (import + model load + a one-token answer) in a fresh process.

    python benchmarks/engines_local_throughput.py [--rounds 5] [--max-tokens 128] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

PROMPT = "Write a short story about a robot who learns to paint. Use simple words."

FIRST_CALL = """
import time
t0 = time.perf_counter()
from textgrad_sci.engines import get_engine
t1 = time.perf_counter()
engine = get_engine("local", cache=False)
engine.chat("Hi", max_tokens=1)
print(t1 - t0, time.perf_counter() - t1)
"""


def first_call_seconds() -> tuple[float, float]:
    """(seconds to import textgrad_sci, seconds from there to the first answer)."""
    out = subprocess.run(
        [sys.executable, "-c", FIRST_CALL], capture_output=True, text=True, check=True
    ).stdout
    package, call = out.strip().splitlines()[-1].split()
    return float(package), float(call)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    from llama_cpp import Llama

    from textgrad_sci.engines import get_engine
    from textgrad_sci.engines.local import DEFAULT_CTX, default_model_path

    engine = get_engine("local", cache=False, n_threads=args.threads, max_tokens=args.max_tokens)
    started = time.perf_counter()
    engine.load()
    load_seconds = time.perf_counter() - started
    direct = Llama(
        model_path=str(default_model_path()),
        n_ctx=DEFAULT_CTX,
        n_threads=args.threads,
        n_threads_batch=args.threads,
        seed=0,
        verbose=False,
    )
    messages = [{"role": "user", "content": PROMPT}]

    def run_direct() -> tuple[int, float, str]:
        started = time.perf_counter()
        direct.reset()
        out = direct.create_chat_completion(
            messages=messages, temperature=0.0, max_tokens=args.max_tokens, seed=0,
            repeat_penalty=1.0, stop=[],
        )  # fmt: skip
        seconds = time.perf_counter() - started
        return out["usage"]["completion_tokens"], seconds, out["choices"][0]["message"]["content"]

    def run_engine() -> tuple[int, float, str]:
        started = time.perf_counter()
        response = engine.complete(engine.request(messages))
        return response.completion_tokens, time.perf_counter() - started, response.text

    run_direct(), run_engine()  # warm up both
    rates: dict[str, list[float]] = {"engine": [], "direct": []}
    texts = {}
    for _ in range(args.rounds):
        for name, fn in (("direct", run_direct), ("engine", run_engine)):
            tokens, seconds, text = fn()
            rates[name].append(tokens / seconds)
            texts[name] = text
    package_import, first = first_call_seconds()
    engine_rate, direct_rate = (statistics.median(rates[k]) for k in ("engine", "direct"))
    print(f"{'path':<8} {'median tok/s':>12} {'min':>8} {'max':>8}")
    for name in ("direct", "engine"):
        r = rates[name]
        print(f"{name:<8} {statistics.median(r):>12.1f} {min(r):>8.1f} {max(r):>8.1f}")
    print(f"same text: {texts['engine'] == texts['direct']}; threads {args.threads}; "
          f"max_tokens {args.max_tokens}; rounds {args.rounds}")  # fmt: skip
    print(f"model load in process: {load_seconds:.2f} s; fresh process: first call (llama_cpp "
          f"import, load, 1 token) {first:.2f} s after importing textgrad_sci "
          f"({package_import:.2f} s)")  # fmt: skip
    print(
        f"engines_local_throughput: {engine_rate:.1f} tok/s "
        f"(baseline: {direct_rate:.1f} tok/s, ratio: {engine_rate / direct_rate:.2f})"
    )


if __name__ == "__main__":
    main()
