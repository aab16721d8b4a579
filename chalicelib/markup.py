"""Markdown to HTML for the rich payload: CommonMark plus tables and strikethrough.

Raw HTML inside Markdown is not interpreted (it shows as text), and the output still goes
through the sanitizer, so a Markdown message cannot carry markup the allow-list refuses.
"""
from __future__ import annotations

import html
import re
import secrets
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .mathml import MAX_TEX_CHARS, current_budget
from .sanitize import clean_html

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_MATH_TOKENS = ("math_inline", "math_inline_double", "math_block", "math_block_eqno", "math_block_label")


def _bracket_math(state: Any, silent: bool) -> bool:
    """`\\( … \\)` (inline) and `\\[ … \\]` (display, also across the lines of a paragraph): what ChatGPT writes.

    Our own rule rather than texmath's, which looks for the closing delimiter to the end of the text from every
    opening one (80 KB of `\\(` took 7 s): here it is looked for within one formula's length, so any text
    stays linear.
    """
    start = state.pos
    src = state.src
    if src[start:start + 1] != "\\" or src[start + 1:start + 2] not in ("(", "["):
        return False
    closing = "\\)" if src[start + 1] == "(" else "\\]"
    end = src.find(closing, start + 2, start + 2 + MAX_TEX_CHARS + 2)
    if end < 0:
        return False
    if not silent:
        token = state.push("math_inline" if closing == "\\)" else "math_inline_double", "math", 0)
        token.content = src[start + 2:end]
        token.markup = src[start:start + 2]
    state.pos = end + 2
    return True


def _math_slot(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """A formula becomes a marker the sanitizer keeps as text; its MathML goes in after sanitizing."""
    token = tokens[idx]
    display = token.type != "math_inline"
    slots: list[str] = env["math_slots"]
    slots.append(env["math_budget"].convert(token.content, display))
    marker = f"mathslot{env['math_nonce']}n{len(slots) - 1}e"
    return f"{marker}\n" if display and token.block else marker


def _plain() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


@lru_cache(maxsize=2)
def _renderer(math: bool) -> MarkdownIt:
    """CommonMark + tables + strikethrough; with `math`, TeX too (its rules cost plain text ~40% more, so text
    without a `$` or a backslash is rendered without them)."""
    md = _plain()
    if not math:
        return md
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    # \\( \\) and \\[ \\] (what ChatGPT writes), $$ $$, and $ $ only where unambiguous: no space inside the
    # dollars and no digit after the closing one, so "$5 and $10" stays money.
    md.inline.ruler.before("escape", "math_brackets", _bracket_math)
    dollarmath_plugin(md, allow_labels=False, allow_space=False, allow_digits=False, double_inline=True)
    for name in _MATH_TOKENS:
        md.add_render_rule(name, _math_slot)
    return md


def markdown_to_html(source: str) -> str:
    """Rendered and sanitized HTML; fenced code keeps its `language-xxx` class; TeX becomes MathML (within the
    conversation's budget of formulas, mathml.conversation_budget)."""
    nonce = secrets.token_hex(8)
    env: dict[str, Any] = {"math_slots": [], "math_nonce": nonce, "math_budget": current_budget()}
    math_possible = "$" in source or "\\(" in source or "\\[" in source
    rendered = clean_html(_renderer(math_possible).render(source, env))
    slots: list[str] = env["math_slots"]
    if not slots:
        return rendered
    # The nonce is new for every render, so no text a client wrote can spell a marker.
    return re.sub(f"mathslot{nonce}n([0-9]+)e", lambda m: slots[int(m.group(1))], rendered)


def text_to_html(text: str) -> str:
    """A human turn: escaped text (the page keeps its line breaks with `white-space: pre-wrap`)."""
    return html.escape(text, quote=True)
