"""A TextGrad-style custom engine for the drop-in tests: an ``EngineLM`` subclass with only
``generate`` (as TextGrad users write them), answering by the kind of call."""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Callable

from textgrad_sci import llm_ops_prompts, optimizer_prompts
from textgrad_sci.engine.base import EngineLM

UPDATE_MARK = optimizer_prompts.SYSTEM_PROMPT.split("{")[0]


class ScriptedLM(EngineLM):
    """``generate(prompt, system_prompt=None)`` (no ``**kwargs``): ``update`` for optimizer
    calls, ``backward`` for feedback calls, else ``forward(prompt, system_prompt)``."""

    def __init__(
        self,
        forward: Callable[[str, str | None], str] | str = "forward answer",
        backward: str = "feedback: be more precise",
        update: Callable[[str], str] | str = "improved",
    ):
        self.model_string = "scripted-lm"
        self.forward, self.backward, self.update = forward, backward, update
        self.calls: list[tuple[str | None, object]] = []

    def generate(self, prompt, system_prompt=None):
        self.calls.append((system_prompt, prompt))
        if system_prompt and system_prompt.startswith(UPDATE_MARK):
            new = self.update(prompt) if callable(self.update) else self.update
            return f"<IMPROVED_VARIABLE>{new}</IMPROVED_VARIABLE>"
        if system_prompt == llm_ops_prompts.BACKWARD_SYSTEM_PROMPT:
            return self.backward
        return self.forward(prompt, system_prompt) if callable(self.forward) else self.forward

    def kinds(self) -> list[str]:
        out = []
        for system, _ in self.calls:
            if system and system.startswith(UPDATE_MARK):
                out.append("update")
            elif system == llm_ops_prompts.BACKWARD_SYSTEM_PROMPT:
                out.append("backward")
            else:
                out.append("forward")
        return out


def tiny_png(width: int = 2, height: int = 2) -> bytes:
    """A valid RGB PNG of ``width`` x ``height`` red pixels (made with zlib, no imaging
    library)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def data_url_of(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
