"""A Reflexion-style baseline (Shinn et al., 2023) for test-time code refinement: each step the
model reflects on its own code's visible test results, with the problem (one call), then
rewrites the code from that code, the results, the reflection and its earlier attempts with
their reflections (one call, plus up to ``max_retries`` when the answer is malformed or does
not compile). Two calls a step, seeing what TextGrad's critique and update see.

It reads no textual gradients (the loop skips backward); it is a :class:`~textgrad_sci.TGD`
subclass only to share the answer parsing, retries, acceptance gate, memory and resume state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textgrad_sci.optimizer import TGD, UpdateReport
from textgrad_sci.usage import usage_label
from textgrad_sci.variable import Variable

from . import code_prompts as prompts

if TYPE_CHECKING:
    from textgrad_sci.engines.base import Engine


class Reflexion(TGD):
    """``Reflexion(code, engine, problem, entry_point, results_fn)``.

    results_fn: the rendered visible test results of a code (the same text TextGrad's loss
        gives its critique; it should cache, as ``CodeTestLoss.evaluate`` does).
    memory: how many earlier (code, reflection) pairs the rewrite prompt shows.
    score_fn: the same acceptance gate as TGD's (keep a rewrite only if not worse).
    sampling: engine settings of both calls (``max_tokens``, ``stop`` for the rewrite).
    """

    uses_feedback = False

    def __init__(self, code: Variable, engine: Engine, problem: str, entry_point: str,
                 results_fn: Callable[[str], str], memory: int = 2, max_retries: int = 2,
                 score_fn: Callable[[str], float] | None = None,
                 sampling: dict[str, Any] | None = None) -> None:
        super().__init__([code], engine, gradient_memory=memory, max_retries=max_retries,
                         score_fn=score_fn, sampling=sampling)
        self.problem, self.entry_point, self.results_fn = problem, entry_point, results_fn

    def _update(self, param: Variable, engine: Engine) -> UpdateReport:
        report = UpdateReport(variable=param.name, old_value=param.value)
        results = self.results_fn(param.value)
        limit = {k: v for k, v in self.sampling.items() if k in ("max_tokens", "seed")}
        with usage_label(f"{param.name}:reflect"):
            reflection = engine.chat(
                prompts.REFLECT.format(problem=self.problem, code=param.value, results=results),
                system_prompt=prompts.REFLECT_SYSTEM, **limit)
        group = self._group_of[param.name]
        fmt = param.output_format or group["output_format"]
        messages = [
            {"role": "system", "content": prompts.REWRITE_SYSTEM},
            {"role": "user", "content": prompts.REWRITE.format(
                memory=self._memory_text(param), code=param.value,
                results=results, reflection=reflection.strip(), entry_point=self.entry_point)},
        ]
        with usage_label(f"{param.name}:rewrite"):
            new_value = self._propose(param, engine, messages, fmt, report)
        self._remember(param, reflection.strip())
        if new_value is None:
            report.reason = f"kept the old value after {report.attempts} failed attempts"
            return report
        report.new_value = new_value
        if group["score_fn"] is not None and not self._gate(param, new_value, report, group):
            return report
        param.value = new_value
        report.accepted, report.reason = True, "rewritten after reflection"
        return report

    def _memory_text(self, param: Variable) -> str:
        past = self.memory.get(param.name)
        if not past:
            return ""
        entries = "\n".join(prompts.REWRITE_MEMORY_ENTRY.format(code=c, reflection=r)
                            for c, r in past)
        return prompts.REWRITE_MEMORY.format(entries=entries)
