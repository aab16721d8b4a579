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

from .complexity import MAX_DEPTH, html_depth
from .mathml import current_budget
from .sanitize import clean_html

# comrak looks for the end of `\(` and `\[` from each opening to the end of the paragraph, so openings that
# never close cost (their number x the text after them): past this many characters scanned (~25 ms), the text
# is rendered without `\( \)` and `\[ \]` math (it shows as TeX), linear whatever it holds.
MAX_LATEX_SCAN = 100_000_000
_MATH_SPAN = re.compile(r'<span data-math-style="(inline|display)">(.*?)</span>', re.DOTALL)
_CELL = re.compile(r"(<t[dh]\b[^>]*>)(.*?)(</t[dh]>)", re.DOTALL)
_CODE = re.compile(r"(<code\b[^>]*>.*?</code>)", re.DOTALL)
_ESCAPED_BR = re.compile(r"&lt;br\s*/?&gt;", re.IGNORECASE)
# comrak keeps a link to a URL it refuses (javascript:, data:...) with an empty href: it stays text, as its words.
_REFUSED_LINK = re.compile(r'<a href="">(.*?)</a>', re.DOTALL)
_line_breaks: ContextVar[bool] = ContextVar("line_breaks", default=False)


@contextmanager
def line_breaks(enabled: bool) -> Iterator[None]:
    """Inside the block, a single newline in a paragraph is a line break (as the chat sites show answers)."""
    token = _line_breaks.set(enabled)
    try:
        yield
    finally:
        _line_breaks.reset(token)


@lru_cache(maxsize=8)
def _options(latex: bool, breaks: bool) -> dict[str, Any]:
    import comrak  # lazy: only the create path renders Markdown

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
    """The characters comrak scans for `\\)` and `\\]` that never come: the openings after the last closing,
    each to the end of the text (an upper bound: it stops at the end of its paragraph)."""
    scanned = 0
    for opening, closing in (("\\(", "\\)"), ("\\[", "\\]")):
        first = source.find(opening, source.rfind(closing) + 1)
        if first >= 0:
            scanned += source.count(opening, first) * (len(source) - first)
    return scanned


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
    import comrak  # lazy: only the create path renders Markdown

    rendered = comrak.render_markdown(source, **_options(_latex_scan(source) <= MAX_LATEX_SCAN, _line_breaks.get()))
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
