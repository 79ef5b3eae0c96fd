"""Source tests split for host verdicts: the part that needs the solution runs in the sandbox,
the expected value is computed here, on the host, by a small evaluator that only folds literals.

``assert LEFT == RIGHT`` (either side may hold the expected value), ``assert X``, ``assert not
X``, ``assert X is True/False/None`` and ``assert abs(A - B) < TOL`` are split; any other test
runs whole inside the sandbox (its verdict is then the sandbox's).
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MAX_SIZE = 100_000  # the largest string, list or int (in digits) the evaluator builds

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_CALLS = {
    "tuple": tuple,
    "list": list,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "abs": abs,
    "round": round,
    "len": len,
    "sorted": sorted,
    "min": min,
    "max": max,
    "sum": sum,
}
_PLAIN = (bool, int, float, str, type(None), list, tuple, dict)


class Unsafe(ValueError):
    """The expression is not one the host evaluates (it names something, or is too big)."""


def _size(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() // 3
    return len(value) if isinstance(value, (str, list, tuple, dict)) else 1


def _check(value: Any) -> Any:
    if not isinstance(value, _PLAIN):
        raise Unsafe(f"a {type(value).__name__}")
    if _size(value) > MAX_SIZE:
        raise Unsafe("too large")
    return value


def _binary(op: ast.operator, a: Any, b: Any) -> Any:
    fn = _BINARY.get(type(op))
    if fn is None:
        raise Unsafe(type(op).__name__)
    if isinstance(op, ast.Pow):
        if not isinstance(b, (int, float)) or abs(b) > 1000 or _size(a) > 100:
            raise Unsafe("a large power")
    if isinstance(op, ast.Mult):
        for seq, n in ((a, b), (b, a)):
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
                if len(seq) * max(n, 0) > MAX_SIZE:
                    raise Unsafe("too large")
    return fn(a, b)


def _eval(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (complex, bytes)) or node.value is ...:
            raise Unsafe(type(node.value).__name__)
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_eval(e) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise Unsafe("a ** in a dict")
        return {_eval(k): _eval(v) for k, v in zip(node.keys, node.values, strict=True)}
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.BinOp):
        return _check(_binary(node.op, _eval(node.left), _eval(node.right)))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _CALLS
        and not node.keywords
    ):
        return _check(_CALLS[node.func.id](*[_eval(a) for a in node.args]))
    raise Unsafe(type(node).__name__)


def safe_eval(node: ast.AST | str) -> Any:
    """The value of a literal expression, with arithmetic and a few pure builtins on literals;
    :class:`Unsafe` for anything else (names, attributes, comprehensions, huge values)."""
    if isinstance(node, str):
        try:
            node = ast.parse(node, mode="eval").body
        except SyntaxError as err:
            raise Unsafe("not an expression") from err
    try:
        return _check(_eval(node))
    except Unsafe:
        raise
    except (ArithmeticError, TypeError, ValueError, RecursionError) as err:
        raise Unsafe(type(err).__name__) from err


@dataclass(frozen=True)
class Split:
    """A source test as: ``setup`` and ``expr`` (run in the sandbox), the host's ``expected``
    value and the ``rule`` that compares them (``tol`` for ``abs_lt``)."""

    setup: str
    expr: str
    expected: Any
    rule: str
    tol: float = 0.0


def _value_side(a: ast.expr, b: ast.expr) -> tuple[ast.expr, Any] | None:
    """(the side to run, the other side's value) when exactly one side is host-computable."""
    for run, known in ((a, b), (b, a)):
        try:
            value = safe_eval(known)
        except Unsafe:
            continue
        try:
            safe_eval(run)
        except Unsafe:
            return run, value
    return None


def _seg(source: str, node: ast.AST) -> str:
    return ast.get_source_segment(source, node) or ast.unparse(node)


# Truth tests are split only when the value is not itself a comparison or boolean operation
# (those would be decided inside the sandbox, by the solution's objects).
_VALUES = (ast.Call, ast.Name, ast.Attribute, ast.Subscript)


def _split_test(source: str, test: ast.expr) -> tuple[str, Any, str, float] | None:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        if isinstance(test.operand, _VALUES):
            return f"({_seg(source, test.operand)})", None, "falsy", 0.0
        return None
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, right = test.ops[0], test.comparators[0]
        if isinstance(op, ast.Eq):
            found = _value_side(test.left, right)
            if found:
                return f"({_seg(source, found[0])})", found[1], "exact", 0.0
            return None
        if isinstance(op, ast.Is) and isinstance(right, ast.Constant):
            if right.value is None or isinstance(right.value, bool):
                return f"({_seg(source, test.left)})", right.value, "is", 0.0
            return None
        left = test.left
        if (
            isinstance(op, ast.Lt)
            and isinstance(left, ast.Call)
            and isinstance(left.func, ast.Name)
            and left.func.id == "abs"
            and len(left.args) == 1
            and not left.keywords
            and isinstance(left.args[0], ast.BinOp)
            and isinstance(left.args[0].op, ast.Sub)
        ):
            diff = left.args[0]
            found = _value_side(diff.left, diff.right)
            try:
                tol = safe_eval(right)
            except Unsafe:
                return None
            if found and isinstance(tol, (int, float)) and isinstance(found[1], (int, float)):
                return f"({_seg(source, found[0])})", found[1], "abs_lt", float(tol)
        return None
    if isinstance(test, _VALUES):
        return f"({_seg(source, test)})", None, "truthy", 0.0
    return None


@lru_cache(maxsize=8192)
def split_source(source: str) -> Split | None:
    """The split of a test whose last statement is one of the forms above, else None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    last = tree.body[-1] if tree.body else None
    if not isinstance(last, ast.Assert):
        return None
    found = _split_test(source, last.test)
    if found is None:
        return None
    expr, expected, rule, tol = found
    if rule in ("exact", "abs_lt") and isinstance(expected, float) and math.isnan(expected):
        return None
    setup = ast.unparse(ast.Module(body=tree.body[:-1], type_ignores=[]))
    return Split(setup=setup, expr=expr, expected=expected, rule=rule, tol=tol)
