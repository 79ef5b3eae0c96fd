"""Parameter diffs between steps (difflib): rows of inline segments, ready to render."""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

_TOKEN = re.compile(r"\s+|[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])|\w+|[^\w\s]")
CONTEXT = 2
"""Unchanged lines kept around each change; longer unchanged runs are folded."""


def _tokens(text: str) -> list[str]:
    """Words, spaces and punctuation; a text without spaces (a SMILES) is split per character."""
    if " " not in text.strip() and len(text) <= 400:
        return list(text)
    return _TOKEN.findall(text)


def inline_segments(old: str, new: str) -> list[tuple[str, str]]:
    """``(kind, text)`` pieces with kind ``eq``, ``del`` or ``ins`` turning ``old`` into ``new``."""
    a, b = _tokens(old), _tokens(new)
    segments: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(("eq", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            segments.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            segments.append(("ins", "".join(b[j1:j2])))
    return segments


def _row(op: str, segments: list[tuple[str, str]]) -> dict:
    return {"op": op, "segments": segments}


def text_diff(old: str, new: str) -> list[dict]:
    """Rows ``{op, segments}``: op is ``=`` (unchanged), ``-``, ``+``, ``~`` (changed in place)
    or ``…`` (folded unchanged lines). Empty when the texts are equal. Cached: the step view and a
    domain's section diff the same pairs; treat the rows as read-only."""
    return _text_diff(old, new)


@lru_cache(maxsize=4096)
def _text_diff(old: str, new: str) -> list[dict]:
    if old == new:
        return []
    old_lines, new_lines = old.splitlines() or [""], new.splitlines() or [""]
    if len(old_lines) == 1 and len(new_lines) == 1:
        return [_row("~", inline_segments(old, new))]
    rows: list[dict] = []
    last_old_end = 0
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for group in matcher.get_grouped_opcodes(CONTEXT):
        if rows or group[0][1] > 0:
            rows.append(_row("…", [("eq", "…")]))
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                rows.extend(_row("=", [("eq", line)]) for line in old_lines[i1:i2])
            elif op == "replace" and i2 - i1 == j2 - j1:
                rows.extend(
                    _row("~", inline_segments(o, n))
                    for o, n in zip(old_lines[i1:i2], new_lines[j1:j2], strict=True)
                )
            else:
                rows.extend(_row("-", [("del", line)]) for line in old_lines[i1:i2])
                rows.extend(_row("+", [("ins", line)]) for line in new_lines[j1:j2])
        last_old_end = group[-1][2]
    if rows and last_old_end < len(old_lines):
        rows.append(_row("…", [("eq", "…")]))
    return rows


def diff_stats(rows: list[dict]) -> dict:
    """Counts of inserted and deleted characters in ``rows``."""
    ins = sum(len(t) for r in rows for k, t in r["segments"] if k == "ins")
    dele = sum(len(t) for r in rows for k, t in r["segments"] if k == "del")
    return {"inserted": ins, "deleted": dele}
