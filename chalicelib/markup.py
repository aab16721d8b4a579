"""Markdown to HTML for the rich payload: CommonMark plus GFM tables and strikethrough, TeX, CJK-friendly bold.

Rendered by comrak (Rust; `docs/performance.md` compares it with markdown-it-py, cmarkgfm and pyromark on real
chats and hostile shapes). Raw HTML inside Markdown is not interpreted (it shows as text), except `<br>` in a
table cell, which chat answers use for a line break there; the output still goes through the sanitizer, so
a Markdown message cannot carry markup the allow-list refuses.

A single newline in a paragraph is a line break where the chat site shows it so (`line_breaks`), CommonMark's
soft break elsewhere.
"""
from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import comrak

from .complexity import MAX_DEPTH, html_depth
from .mathml import current_budget
from .sanitize import clean_html

# comrak looks for the end of `\(` and `\[` from each opening to the end of its paragraph, so openings that never
# close there cost (their number x the paragraph's length): 100,000 in one paragraph took 4.5 s. A conversation
# may scan this many characters (~0.1 s) in all; a text that would pass it renders without `\( \)` and `\[ \]`
# math (it shows as TeX), linear whatever it holds.
MAX_LATEX_SCAN = 500_000_000
# A paragraph never spans a blank line: the text between blank lines bounds every paragraph in it.
_BLANK_LINE = re.compile(r"\n[ \t\r]*\n")
_MATH_SPAN = re.compile(r'<span data-math-style="(inline|display)">(.*?)</span>', re.DOTALL)
_CELL = re.compile(r"(<t[dh]\b[^>]*>)(.*?)(</t[dh]>)", re.DOTALL)
_CODE = re.compile(r"(<code\b[^>]*>.*?</code>)", re.DOTALL)
_ESCAPED_BR = re.compile(r"&lt;br\s*/?&gt;", re.IGNORECASE)
# comrak keeps a link to a URL it refuses (javascript:, data:...) with an empty href: it stays text, as its words.
_REFUSED_LINK = re.compile(r'<a href="">(.*?)</a>', re.DOTALL)
_line_breaks: ContextVar[bool] = ContextVar("line_breaks", default=False)
_latex_left: ContextVar[list[int] | None] = ContextVar("latex_left", default=None)


@contextmanager
def conversation(line_breaks: bool) -> Iterator[None]:
    """Inside the block (one conversation's render): a single newline in a paragraph is a line break, or not,
    and the texts share one budget of characters scanned for `\\(` math (MAX_LATEX_SCAN)."""
    breaks, left = _line_breaks.set(line_breaks), _latex_left.set([MAX_LATEX_SCAN])
    try:
        yield
    finally:
        _line_breaks.reset(breaks)
        _latex_left.reset(left)


@lru_cache(maxsize=8)
def _options(latex: bool, breaks: bool) -> dict[str, Any]:
    extensions = comrak.ExtensionOptions()
    extensions.table = True
    extensions.strikethrough = True
    # `**推理（Inference）**已经` is bold on the sites; CommonMark's flanking rule leaves its asterisks.
    extensions.cjk_friendly_emphasis = True
    # $…$ and $$…$$ only where unambiguous (no space inside the dollars, none closing before a digit): "$5 and
    # $10" stays money. \( \) and \[ \], what ChatGPT writes, unless the text could make them quadratic.
    extensions.math_dollars = True
    extensions.math_latex = latex
    render = comrak.RenderOptions()
    render.escape = True  # raw HTML shows as text
    render.hardbreaks = breaks
    return {"extension_options": extensions, "render_options": render, "parse_options": comrak.ParseOptions()}


def _latex_scan(source: str) -> int:
    """At most how many characters comrak scans for `\\)` and `\\]`: each opening, to the end of the text between
    blank lines it is in (its paragraph ends there at the latest)."""
    scanned = 0
    for block in _BLANK_LINE.split(source) if "\\(" in source or "\\[" in source else ():
        openings = block.count("\\(") + block.count("\\[")
        scanned += openings * len(block)
    return scanned


def _latex_allowed(source: str) -> bool:
    """Whether `\\( \\)` math may be read in this text: its scan fits what the conversation has left (spent)."""
    scan = _latex_scan(source)
    if not scan:
        return True
    left = _latex_left.get() or [MAX_LATEX_SCAN]  # outside a conversation (a comment): a budget of its own
    if scan > left[0]:
        return False
    left[0] -= scan
    return True


def _math_slots(rendered: str, slots: list[str], nonce: str) -> str:
    """Each formula becomes a marker the sanitizer keeps as text; its MathML goes in after sanitizing."""
    budget = current_budget()

    def slot(match: re.Match[str]) -> str:
        slots.append(budget.convert(html.unescape(match.group(2)), match.group(1) == "display"))
        return f"mathslot{nonce}n{len(slots) - 1}e"

    return _MATH_SPAN.sub(slot, rendered)


def _cell_breaks(rendered: str) -> str:
    """`<br>` in a table cell (escaped, as all raw HTML) becomes a line break in that cell; in a code span it
    stays text."""
    def cell(match: re.Match[str]) -> str:
        parts = _CODE.split(match.group(2))
        body = "".join(part if index % 2 else _ESCAPED_BR.sub("<br>", part) for index, part in enumerate(parts))
        return match.group(1) + body + match.group(3)

    return _CELL.sub(cell, rendered) if "&lt;" in rendered and "<t" in rendered else rendered


def markdown_to_html(source: str) -> str:
    """Rendered and sanitized HTML; fenced code keeps its `language-xxx` class; TeX becomes MathML (within the
    conversation's budget of formulas, mathml.conversation_budget)."""
    rendered = comrak.render_markdown(source, **_options(_latex_allowed(source), _line_breaks.get()))
    if html_depth(rendered) > MAX_DEPTH:
        # Quotes or lists nested hundreds deep (no answer comes near it), superlinear for any HTML parser: the
        # text as written, which is linear whatever it holds.
        return f"<p>{text_to_html(source)}</p>"
    nonce = secrets.token_hex(8)
    slots: list[str] = []
    if "data-math-style" in rendered:
        rendered = _math_slots(rendered, slots, nonce)
    if '<a href="">' in rendered:
        rendered = _REFUSED_LINK.sub(r"\1", rendered)
    # Citation chips read from a page come as links side by side: they must not read as one word
    # ("help.openai.comhelp.openai.com").
    rendered = rendered.replace("</a><a ", "</a> <a ")
    cleaned = clean_html(_cell_breaks(rendered))
    if not slots:
        return cleaned
    # The nonce is new for every render, so no text a client wrote can spell a marker.
    return re.sub(f"mathslot{nonce}n([0-9]+)e", lambda m: slots[int(m.group(1))], cleaned)


def text_to_html(text: str) -> str:
    """A human turn: escaped text (the page keeps its line breaks with `white-space: pre-wrap`)."""
    return html.escape(text, quote=True)
