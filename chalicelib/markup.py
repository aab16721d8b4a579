"""Markdown to HTML for the rich payload: CommonMark plus tables and strikethrough.

Raw HTML inside Markdown is not interpreted (it shows as text), and the output still goes
through the sanitizer, so a Markdown message cannot carry markup the allow-list refuses.
"""
from __future__ import annotations

import html
from functools import lru_cache
from typing import TYPE_CHECKING

from .sanitize import clean_html

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


def markdown_to_html(source: str) -> str:
    """Rendered and sanitized HTML; fenced code keeps its `language-xxx` class."""
    return clean_html(_renderer().render(source))


def text_to_html(text: str) -> str:
    """A human turn: escaped text (the page keeps its line breaks with `white-space: pre-wrap`)."""
    return html.escape(text, quote=True)
