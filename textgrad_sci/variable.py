"""`Variable`: a piece of text in the computation graph, and the feedback it received."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engines.base import Engine
    from .formats import OutputFormat

Validator = Callable[[str], "str | None"]
"""Checks a proposed value: returns None when it is acceptable, else a reason the model can read.
Raising ``ValueError`` counts as a rejection with the exception's message as the reason."""

_ids = itertools.count(1)
_REQUIRED: Any = object()


class VariableSet:
    """TextGrad's ``set`` of variables (``add``, ``in``, ``discard``, ``update``) that iterates in
    insertion order, so prompts built from it never depend on hash order. It also indexes and
    compares equal to a list or set of the same variables."""

    def __init__(self, items: Iterable[Variable] = ()) -> None:
        self._items: dict[int, Variable] = {}
        self.update(items)

    def add(self, item: Variable) -> None:
        self._items.setdefault(id(item), item)

    def update(self, items: Iterable[Variable]) -> None:
        for item in items:
            self.add(item)

    def discard(self, item: Variable) -> None:
        self._items.pop(id(item), None)

    def remove(self, item: Variable) -> None:
        del self._items[id(item)]

    def clear(self) -> None:
        self._items.clear()

    def sort(self, key: Callable[[Variable], Any]) -> None:
        self._items = {id(v): v for v in sorted(self._items.values(), key=key)}

    def __contains__(self, item: object) -> bool:
        return id(item) in self._items

    def __iter__(self) -> Iterator[Variable]:
        return iter(list(self._items.values()))

    def __reversed__(self) -> Iterator[Variable]:
        return reversed(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> Variable:
        return list(self._items.values())[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, VariableSet | list | tuple):
            return list(self) == list(other)
        if isinstance(other, set | frozenset):
            return set(map(id, other)) == set(self._items)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "{" + ", ".join(repr(v) for v in self) + "}" if self._items else "set()"


def _read_image(image_path: str | Path) -> bytes:
    text = str(image_path)
    if "://" in text:
        raise ValueError(
            f"image_path {text!r} is a URL; textgrad-sci does not download at run time: save the "
            "image and pass its file path (or its bytes)"
        )
    try:
        return Path(text).read_bytes()
    except OSError as err:
        raise ValueError(f"cannot read image {text!r}: {err.strerror or err}") from None


def image_kind(data: bytes) -> str:
    """The image format of ``data`` from its first bytes (png, jpeg, gif, webp), else ``bin``."""
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "bin"


class Variable:
    """Text with a role, optionally trainable, that remembers how it was computed.

    ``role_description`` is required (as in TextGrad: it steers the feedback). ``bytes`` (or
    ``image_path=`` a local file) make an image variable, which cannot require grad.
    ``gradients`` holds the textual feedback (each a ``Variable``) written onto this variable by
    the backward pass; ``gradients_context`` maps each of them to where it came from. Both
    ``gradients`` and ``predecessors`` are :class:`VariableSet` (TextGrad's sets, ordered).
    """

    def __init__(
        self,
        value: Any = "",
        role_description: str = _REQUIRED,
        requires_grad: bool = True,
        predecessors: Iterable[Variable] | None = None,
        *,
        image_path: str | Path = "",
        name: str | None = None,
        validator: Validator | None = None,
        data: dict | None = None,
        output_format: OutputFormat | None = None,
    ) -> None:
        if role_description is _REQUIRED:
            raise TypeError(
                "Variable() missing required argument 'role_description' (say what the text is, "
                "e.g. Variable(text, role_description='answer to the question'))"
            )
        if image_path:
            if value not in ("", b""):
                raise ValueError("give a Variable either a value or an image_path, not both")
            value = _read_image(image_path)
        if isinstance(value, bytearray | memoryview):
            value = bytes(value)
        if isinstance(value, bytes) and requires_grad:
            raise ValueError(
                "an image variable cannot require grad: pass requires_grad=False (feedback on "
                "images is not supported)"
            )
        if not isinstance(value, str | bytes):
            value = str(value)
        self.value: Any = value
        self.role_description = role_description
        self.requires_grad = requires_grad
        self.predecessors: VariableSet = VariableSet(predecessors or [])
        self.id = next(_ids)
        self.name = name or f"v{self.id}"
        self.validator = validator
        self.data: dict = dict(data or {})
        self.output_format = output_format
        self.gradients: VariableSet = VariableSet()
        self.gradients_context: dict[Variable, dict] = {}
        self.grad_fn: Callable[[Engine | None], None] | None = None
        self.grad_fn_name: str | None = None
        self._lock = threading.Lock()

    # -- TextGrad-compatible accessors -------------------------------------------------------
    def get_value(self) -> Any:
        return self.value

    def set_value(self, value: str) -> None:
        self.value = value

    @property
    def is_image(self) -> bool:
        """Whether this variable holds an image (bytes)."""
        return isinstance(self.value, bytes)

    def describe_value(self) -> str:
        """The value as text: itself, or ``<image: png, 1234 bytes>`` for an image."""
        if isinstance(self.value, bytes):
            return f"<image: {image_kind(self.value)}, {len(self.value)} bytes>"
        return self.value

    def set_grad_fn(self, grad_fn: Callable) -> None:
        """TextGrad's way to attach a backward function (called with the backward engine)."""
        self.grad_fn = grad_fn

    def get_role_description(self) -> str:
        return self.role_description

    def set_role_description(self, role_description: str) -> None:
        self.role_description = role_description

    def get_grad_fn(self):
        return self.grad_fn

    def get_short_value(self, n_words_offset: int = 10) -> str:
        """The value shortened to its first and last words."""
        words = self.describe_value().split(" ")
        if len(words) <= 2 * n_words_offset:
            return self.describe_value()
        return " ".join(words[:n_words_offset]) + " (...) " + " ".join(words[-n_words_offset:])

    # -- feedback ----------------------------------------------------------------------------
    def add_gradient(self, feedback: Variable | str, source: str = "", context: dict | None = None):
        """Record feedback for this variable, saying which node it came from."""
        if isinstance(feedback, str):
            feedback = Variable(feedback, f"feedback to {self.role_description}", False)
        with self._lock:
            self.gradients.add(feedback)
            self.gradients_context[feedback] = {"source": source, **(context or {})}
        return feedback

    def sort_gradients(self, rank: dict[str, int]) -> None:
        """Order feedback by its source's rank (stable), so that prompts built from it do not
        depend on which concurrent branch finished first."""
        with self._lock:
            self.gradients.sort(
                key=lambda g: rank.get(self.gradients_context.get(g, {}).get("source", ""), -1)
            )

    def get_gradient_text(self) -> str:
        """All feedback received, joined; empty when there is none."""
        return "\n\n".join(str(g.value) for g in self.gradients)

    def reset_gradients(self) -> None:
        with self._lock:
            self.gradients = VariableSet()
            self.gradients_context = {}

    zero_grad = reset_gradients

    def validate(self, value: str) -> str | None:
        """Run the validator on a proposed value; return the rejection reason or None."""
        if self.validator is None:
            return None
        try:
            return self.validator(value)
        except ValueError as err:
            return str(err) or type(err).__name__

    def backward(
        self, engine: Engine | str | None = None, concurrency: int | None = None, **sampling: Any
    ) -> None:
        """Send feedback from this variable (usually a loss) back through the graph;
        ``sampling`` (e.g. ``max_tokens=200``) applies to every feedback call."""
        from .graph import backward

        backward(self, engine, concurrency, **sampling)

    def generate_graph(self, print_gradients: bool = False) -> Any:
        """A picture of the graph ending at this variable: a ``graphviz.Digraph`` when the
        ``graphviz`` package is installed (as TextGrad), else an SVG that notebooks display."""
        from .graph_view import generate_graph

        return generate_graph(self, print_gradients)

    def __repr__(self) -> str:
        text = self.describe_value()
        short = text if len(text) <= 60 else text[:57] + "..."
        return f"Variable(name={self.name!r}, role={self.role_description!r}, value={short!r})"

    def __str__(self) -> str:
        return self.describe_value()

    def __add__(self, other: Variable) -> Variable:
        from .reduce import add

        return add(self, other)
