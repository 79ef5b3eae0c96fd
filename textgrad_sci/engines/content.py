"""Message content with images: OpenAI-style content parts, kept hashable inside a request.

A message's content is either text or a tuple of parts, each ``("text", str)`` or
``("image_url", "data:image/png;base64,...")``. OpenAI-style part dicts, plain strings and image
``bytes`` (TextGrad's multimodal content lists) are all accepted and normalised to that form.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

Part = tuple[str, str]
Content = str | tuple[Part, ...]

_MIME = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


def image_data_url(data: bytes) -> str:
    """``data:image/<kind>;base64,...`` for image bytes (PNG, JPEG, GIF, WebP)."""
    from ..variable import image_kind

    kind = image_kind(data)
    if kind not in _MIME:
        raise ValueError("image bytes are not PNG, JPEG, GIF or WebP")
    return f"data:{_MIME[kind]};base64,{base64.b64encode(data).decode('ascii')}"


def data_url_bytes(url: str) -> bytes | None:
    """The bytes of a base64 ``data:`` URL, else None."""
    head, sep, body = url.partition(",")
    if not sep or not head.startswith("data:") or not head.endswith(";base64"):
        return None
    return base64.b64decode(body)


def _part(item: Any) -> Part:
    if isinstance(item, str):
        return ("text", item)
    if isinstance(item, bytes | bytearray):
        return ("image_url", image_data_url(bytes(item)))
    if isinstance(item, tuple) and len(item) == 2 and item[0] in ("text", "image_url"):
        return (item[0], str(item[1]))
    if isinstance(item, dict):
        kind = item.get("type")
        if kind == "text":
            return ("text", str(item.get("text", "")))
        if kind == "image_url":
            url = item.get("image_url")
            return ("image_url", str(url.get("url") if isinstance(url, dict) else url))
    raise ValueError(f"unsupported message content part: {str(item)[:80]!r}")


def normalize_content(content: Any) -> Content:
    """Text stays text; a list of parts becomes a tuple of ``(kind, value)`` pairs."""
    if isinstance(content, str):
        return content
    if isinstance(content, bytes | bytearray | dict):
        content = [content]
    if isinstance(content, Iterable):
        return tuple(_part(item) for item in content)
    return str(content)


def content_dicts(content: Content) -> str | list[dict]:
    """The OpenAI wire form of a content: text, or a list of part dicts."""
    if isinstance(content, str):
        return content
    return [
        {"type": "text", "text": value}
        if kind == "text"
        else {"type": "image_url", "image_url": {"url": value}}
        for kind, value in content
    ]


def content_text(content: Content) -> str:
    """The text of a content, images shown as ``<image>``."""
    if isinstance(content, str):
        return content
    return "\n".join(value if kind == "text" else "<image>" for kind, value in content)


def has_image(content: Content) -> bool:
    return not isinstance(content, str) and any(kind == "image_url" for kind, _ in content)


def textgrad_items(content: Content) -> str | list[str | bytes]:
    """TextGrad's form of a content, as a custom ``generate`` expects: text, or a list of
    strings and image bytes."""
    if isinstance(content, str):
        return content
    items: list[str | bytes] = []
    for kind, value in content:
        if kind == "text":
            items.append(value)
        else:
            items.append(data_url_bytes(value) or value)
    return items
