"""Render the page data into one self-contained HTML file with Jinja2 (autoescaping on)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"
MAX_CHARTS = 9
"""Score charts shown at once; the rest are one click away."""


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _asset(name: str) -> Markup:
    """A file of ours inlined verbatim into a <style> or <script> element."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    if "</" in text:
        raise ValueError(f"{name} must not contain '</' (it is inlined into the page)")
    return Markup(text)


def render_page(data: dict) -> str:
    """The HTML text of a report for ``data`` from :func:`build_page_data`."""
    template = environment().get_template("report.html.j2")
    return template.render(
        **data, css=_asset("report.css"), js=_asset("report.js"), max_charts=MAX_CHARTS
    )
