"""The plan variable: objective weights and dose levels as a JSON document, its schema, a validator
with clear errors, and the output format the optimizer uses to propose a new plan."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from textgrad_sci.engines.base import OutputSpec
from textgrad_sci.formats import FormatError

from . import radiotherapy_prompts as prompts

OBJECTIVE_KINDS = (
    "squared_underdose",
    "squared_overdose",
    "squared_deviation",
    "mean_dose",
    "max_dose",
    "eud",
    "dvh_max",
    "dvh_min",
)
WEIGHT_BOUNDS = (0.0, 1000.0)
VOLUME_BOUNDS = (0.0, 100.0)
EUD_A_BOUNDS = (-40.0, 40.0)
MAX_OBJECTIVES = 24
TARGET_KINDS = ("squared_underdose", "squared_deviation", "dvh_min")
KEYS = ("structure", "kind", "dose_gy", "weight", "volume_pct", "eud_a")


class PlanError(ValueError):
    """A plan document that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class PlanSchema:
    """What a plan for one case may contain: its structures and the dose range (Gy)."""

    structures: tuple[str, ...]
    max_dose_gy: float
    target: str | None = None
    weight_bounds: tuple[float, float] = WEIGHT_BOUNDS
    kinds: tuple[str, ...] = field(default=OBJECTIVE_KINDS)

    @classmethod
    def for_case(cls, case) -> PlanSchema:
        """Structures of ``case``; dose levels up to 1.5 times its prescription."""
        return cls(
            tuple(case.structures), round(1.5 * float(case.prescription_gy), 1), case.target
        )

    def json_schema(self) -> dict:
        """A JSON schema of plan documents (for engines with structured output)."""
        lo, hi = self.weight_bounds
        number = {"type": "number"}
        objective = {
            "type": "object",
            "properties": {
                "structure": {"type": "string", "enum": list(self.structures)},
                "kind": {"type": "string", "enum": list(self.kinds)},
                "dose_gy": {**number, "minimum": 0, "maximum": self.max_dose_gy},
                "weight": {**number, "minimum": lo, "maximum": hi},
                "volume_pct": {**number, "minimum": 0, "maximum": 100},
                "eud_a": {**number, "minimum": EUD_A_BOUNDS[0], "maximum": EUD_A_BOUNDS[1]},
            },
            "required": ["structure", "kind", "dose_gy", "weight"],
            "additionalProperties": False,
        }
        return {
            "type": "object",
            "properties": {
                "objectives": {
                    "type": "array",
                    "items": objective,
                    "minItems": 1,
                    "maxItems": MAX_OBJECTIVES,
                }
            },
            "required": ["objectives"],
            "additionalProperties": False,
        }

    # -- validation -----------------------------------------------------------------------------
    def parse(self, text: str) -> list[dict]:
        """The objectives of a plan document; raises :class:`PlanError` saying what is wrong."""
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as err:
            raise PlanError(
                f"the plan is not valid JSON ({err.msg} at character {err.pos})"
            ) from None
        if isinstance(doc, list):
            doc = {"objectives": doc}
        if not isinstance(doc, dict) or "objectives" not in doc:
            raise PlanError('the plan must be a JSON object with an "objectives" list')
        extra = set(doc) - {"objectives"}
        if extra:
            raise PlanError(f"unknown top-level field(s) {sorted(extra)}; only objectives")
        items = doc["objectives"]
        if not isinstance(items, list) or not items:
            raise PlanError('"objectives" must be a non-empty list')
        if len(items) > MAX_OBJECTIVES:
            raise PlanError(f"at most {MAX_OBJECTIVES} objectives are allowed, got {len(items)}")
        objectives = [self._objective(i, item) for i, item in enumerate(items)]
        if self.target and not any(
            o["structure"] == self.target and o["kind"] in TARGET_KINDS and o["weight"] > 0
            for o in objectives
        ):
            raise PlanError(
                f"the plan needs an objective with weight > 0 on the target {self.target} that "
                f"asks for dose ({', '.join(TARGET_KINDS)}), or the optimal fluence is zero"
            )
        return objectives

    def _objective(self, index: int, item: object) -> dict:
        where = f"objective {index + 1}"
        if not isinstance(item, dict):
            raise PlanError(f"{where} must be a JSON object")
        unknown = set(item) - set(KEYS)
        if unknown:
            raise PlanError(f"{where} has unknown field(s) {sorted(unknown)}; allowed: {KEYS}")
        for key in ("structure", "kind", "dose_gy", "weight"):
            if key not in item:
                raise PlanError(f'{where} is missing "{key}"')
        structure, kind = item["structure"], item["kind"]
        if structure not in self.structures:
            raise PlanError(
                f"{where}: unknown structure {structure!r}; this case has {list(self.structures)}"
            )
        if kind not in self.kinds:
            raise PlanError(f"{where}: unknown kind {kind!r}; use one of {list(self.kinds)}")
        lo, hi = self.weight_bounds
        out = {
            "structure": structure,
            "kind": kind,
            "dose_gy": _number(item["dose_gy"], f"{where} dose_gy", 0.0, self.max_dose_gy),
            "weight": _number(item["weight"], f"{where} weight", lo, hi),
        }
        volume = item.get("volume_pct")
        if kind in ("dvh_max", "dvh_min"):
            if volume is None:
                raise PlanError(f'{where}: kind {kind} needs "volume_pct" (0 to 100)')
            out["volume_pct"] = _number(volume, f"{where} volume_pct", *VOLUME_BOUNDS)
        elif volume is not None:
            raise PlanError(f'{where}: "volume_pct" is only for dvh_max and dvh_min')
        eud_a = item.get("eud_a")
        if kind == "eud":
            if eud_a is None:
                raise PlanError(f'{where}: kind eud needs "eud_a" (e.g. 8 for an organ at risk)')
            out["eud_a"] = _number(eud_a, f"{where} eud_a", *EUD_A_BOUNDS)
            if out["eud_a"] == 0:
                raise PlanError(f"{where}: eud_a must not be 0")
        elif eud_a is not None:
            raise PlanError(f'{where}: "eud_a" is only for kind eud')
        return out

    def validate(self, text: str) -> str | None:
        """Validator for the plan variable: None when usable, else the reason."""
        try:
            self.parse(text)
        except PlanError as err:
            return str(err)
        return None

    def canonical(self, text: str) -> str:
        """The plan in a fixed layout (one objective per line), after validation."""
        return dump_plan(self.parse(text))

    def objectives(self, text: str) -> list:
        """The plan as ``Objective`` instances of the dose engine."""
        from textgrad_sci.losses.dose import Objective

        return [Objective(**o) for o in self.parse(text)]


def _number(value: object, what: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PlanError(f"{what} must be a number, got {json.dumps(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise PlanError(f"{what} must be a finite number, got {value}")
    if not lo <= value <= hi:
        raise PlanError(f"{what} = {value:g} is out of bounds [{lo:g}, {hi:g}]")
    return value


def _fmt(value: float) -> str:
    return f"{value:.6g}" if value != int(value) else str(int(value))


def dump_plan(objectives: Iterable[dict]) -> str:
    """A plan document, one objective per line (readable for people and small models)."""
    lines = []
    for o in objectives:
        parts = [f'"structure": "{o["structure"]}"', f'"kind": "{o["kind"]}"']
        parts += [f'"{k}": {_fmt(float(o[k]))}' for k in KEYS[2:] if o.get(k) is not None]
        lines.append("  {" + ", ".join(parts) + "}")
    return '{"objectives": [\n' + ",\n".join(lines) + "\n]}"


# -- the optimizer's output format -----------------------------------------------------------------
_NUMBER_GBNF = 'num ::= ("0" | [1-9] [0-9]? [0-9]? [0-9]?) ("." [0-9] [0-9]?)?'


def _gbnf_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def template_grammar(objectives: Sequence[dict]) -> str:
    """GBNF for a plan with the same objectives (structures and kinds) as ``objectives`` and free
    numbers: what lets a small local model propose a plan that always parses."""
    rules = []
    for i, o in enumerate(objectives):
        head = f'  {{"structure": "{o["structure"]}", "kind": "{o["kind"]}", "dose_gy": '
        body = [_gbnf_string(head), "num", _gbnf_string(', "weight": '), "num"]
        for key in ("volume_pct", "eud_a"):
            if o.get(key) is not None:
                sign = '"-"? ' if key == "eud_a" else ""
                body += [_gbnf_string(f', "{key}": '), sign + "num"]
        tail = "}" + (",\n" if i < len(objectives) - 1 else "\n")
        rules.append(" ".join(body + [_gbnf_string(tail)]))
    root = 'root ::= "{\\"objectives\\": [\\n" ' + " ".join(f"o{i}" for i in range(len(rules)))
    root += ' "]}"'
    lines = [root] + [f"o{i} ::= {rule}" for i, rule in enumerate(rules)] + [_NUMBER_GBNF]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class PlanFormat:
    """The optimizer's answer is the plan document itself: a JSON schema for API engines and,
    for grammar engines, a GBNF template that keeps the objectives and frees their numbers."""

    schema: PlanSchema
    template: tuple[tuple[tuple[str, object], ...], ...] = ()

    @classmethod
    def for_plan(cls, schema: PlanSchema, plan_text: str) -> PlanFormat:
        objectives = schema.parse(plan_text)
        return cls(schema, tuple(tuple(o.items()) for o in objectives))

    def instructions(self) -> str:
        return prompts.FORMAT_INSTRUCTIONS

    def spec(self) -> OutputSpec:
        grammar = template_grammar([dict(t) for t in self.template]) if self.template else None
        return OutputSpec(json_schema=self.schema.json_schema(), grammar=grammar)

    def parse(self, text: str) -> str:
        stripped = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
        start, end = stripped.find("{"), stripped.rfind("}")
        if start < 0 or end <= start:
            raise FormatError("the answer did not contain a JSON plan {\"objectives\": [...]}")
        snippet = stripped[start : end + 1]
        try:
            json.loads(snippet)
        except json.JSONDecodeError as err:
            raise FormatError(
                f"the plan was not valid JSON ({err.msg} at character {err.pos})"
            ) from None
        try:
            return self.schema.canonical(snippet)
        except PlanError:
            return snippet  # the validator explains what is wrong


def plan_variable(case, plan_text: str, role: str | None = None):
    """The trainable plan ``Variable`` for ``case``, with its validator and output format."""
    from textgrad_sci import Variable

    schema = PlanSchema.for_case(case)
    return Variable(
        schema.canonical(plan_text),
        role or prompts.PLAN_ROLE.format(case=case.name, target=case.target),
        requires_grad=True,
        name="plan",
        validator=schema.validate,
        output_format=PlanFormat.for_plan(schema, plan_text),
    )


def initial_plan(case) -> str:
    """A plain starting plan, what a planner tunes from: the target held at the prescription
    from both sides, every other organ spared lightly above 40 % of the prescription."""
    rx = round(float(case.prescription_gy), 1)
    objectives = [
        {"structure": case.target, "kind": "squared_underdose", "dose_gy": rx, "weight": 10},
        {"structure": case.target, "kind": "squared_overdose", "dose_gy": rx, "weight": 10},
    ]
    for name in case.structures:
        if name not in (case.target, "BODY"):
            objectives.append({"structure": name, "kind": "squared_overdose",
                               "dose_gy": round(0.4 * rx, 1), "weight": 5})
    return dump_plan(objectives)


def example_plan(case) -> str:
    """The in-context example for ``case``: a class solution scaled to its prescription."""
    rx = float(case.prescription_gy)
    objectives = [{"structure": case.target, "kind": kind, "dose_gy": round(f * rx, 1),
                   "weight": w} for kind, f, w in prompts.EXAMPLE_TARGET]
    kind, f, w = prompts.EXAMPLE_ORGAN
    objectives += [{"structure": name, "kind": kind, "dose_gy": round(f * rx, 1), "weight": w}
                   for name in case.structures if name not in (case.target, "BODY")]
    return dump_plan(objectives)
