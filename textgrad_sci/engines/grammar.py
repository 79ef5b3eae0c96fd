"""GBNF grammars and JSON schemas for declared output formats, in one place.

The local engine decodes with these grammars; the HTTP engine sends them to servers that take a
GBNF ``grammar`` field, or turns a tag format into a JSON schema (``{"TAG": "..."}``) for servers
that enforce JSON schemas, and wraps the JSON answer back into ``<TAG>...</TAG>``.
"""

from __future__ import annotations

import json
import re

# Any text that does not contain a closing tag: "<" is allowed when not followed by "/".
ANY_TEXT_GBNF = '( [^<] | "<" [^/] )*'

_LITERAL = re.compile(r'\s*("(?:[^"\\\n]|\\.)*")\s*(\||$)')


def tag_grammar(tag: str, body: str | None = None) -> str:
    """A GBNF grammar for ``<tag>BODY</tag>``. ``body``: a GBNF expression for what stands
    between the tags, optionally followed by more rules on the next lines (default: any text
    without a closing tag)."""
    return f'root ::= "<{tag}>" body "</{tag}>"\nbody ::= {body or ANY_TEXT_GBNF}\n'


def tag_body(grammar: str, tag: str) -> str | None:
    """The body of a grammar made by :func:`tag_grammar` for ``tag`` (None for other grammars)."""
    head = f'root ::= "<{tag}>" body "</{tag}>"\nbody ::= '
    if not grammar.startswith(head):
        return None
    return grammar[len(head) :].rstrip("\n")


def literal_choices(body: str) -> list[str] | None:
    """The values of a body that is only alternated string literals (``"CCO" | "CCN"``: a
    choice among listed values), else None."""
    if "\n" in body.strip():
        return None
    values, pos = [], 0
    text = body.strip()
    while pos < len(text):
        match = _LITERAL.match(text, pos)
        if match is None:
            return None
        try:
            value = json.loads(match.group(1))
        except json.JSONDecodeError:
            return None
        values.append(value)
        pos = match.end()
    return values or None


def tag_schema(tag: str, body: str | None) -> tuple[dict, bool]:
    """The JSON schema ``{tag: string}`` for a tag format with this grammar body, and whether
    the schema says all the body says (free text, or a choice among listed values: an enum)."""
    choices = literal_choices(body) if body else None
    if choices is not None:
        value: dict = {"type": "string", "enum": choices}
    else:
        value = {"type": "string", "minLength": 1}
    schema = {
        "type": "object",
        "properties": {tag: value},
        "required": [tag],
        "additionalProperties": False,
    }
    return schema, choices is not None or body in (None, ANY_TEXT_GBNF)


def wrap_tag(text: str, tag: str) -> str:
    """``{"TAG": "value"}`` back into ``<TAG>value</TAG>``. An answer cut short (a JSON string
    that never closed) comes back opened but not closed, so the format error says so; text that
    is not such JSON comes back unchanged."""
    stripped = text.strip()
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError:
        partial = _partial_value(stripped, tag)
        return f"<{tag}>{partial}" if partial is not None else text
    if not isinstance(document, dict) or not isinstance(document.get(tag), str):
        return text
    value = document[tag].strip()
    inner = re.fullmatch(rf"<{re.escape(tag)}>(.*)</{re.escape(tag)}>", value, re.DOTALL)
    return f"<{tag}>{inner.group(1) if inner else value}</{tag}>"


def _partial_value(text: str, tag: str) -> str | None:
    match = re.match(rf'\{{\s*"{re.escape(tag)}"\s*:\s*"', text)
    if match is None:
        return None
    rest = text[match.end() :]
    for cut in range(len(rest), max(len(rest) - 8, -1), -1):  # drop a half-written escape
        try:
            return json.loads('"' + rest[:cut] + '"')
        except json.JSONDecodeError:
            continue
    return None
