"""Server-side code highlighting with Pygments, once, when a conversation is created.

It runs on already-sanitized HTML and only rewrites the text of `<pre><code class="language-x">`
blocks that hold plain text; Pygments escapes that text again, so its output is as safe as its
input. Blocks from a chat page that arrive pre-highlighted (hljs spans) are left as they are.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_BLOCK_RE = re.compile(r'<pre><code class="language-([A-Za-z0-9_+#.-]{1,40})">([^<]*)</code></pre>')
_MAX_BLOCK = 200_000  # highlighting is linear, but a giant block gains nothing from colour
# Pygments takes ~8 us a character: one conversation has its code coloured up to this many characters (about
# 1 s); code past it is shown plain, as it was written. Without it, 5 MB of code blocks took 34 s to create.
MAX_HIGHLIGHT_PER_CONVERSATION = 120_000
_left: ContextVar[list[int] | None] = ContextVar("highlight_left", default=None)


@contextmanager
def conversation_budget(chars: int = MAX_HIGHLIGHT_PER_CONVERSATION) -> Iterator[None]:
    """Highlighting inside the block shares one budget (a conversation's create)."""
    token = _left.set([chars])
    try:
        yield
    finally:
        _left.reset(token)


def _spend(chars: int) -> bool:
    left = _left.get()
    if left is None:
        return chars <= _MAX_BLOCK
    left[0] -= chars
    return left[0] >= 0


def _highlight(language: str, escaped_code: str) -> str | None:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    if len(escaped_code) > _MAX_BLOCK or not _spend(len(escaped_code)):
        return None
    try:
        lexer = get_lexer_by_name(language.lower(), stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None
    formatter = HtmlFormatter(nowrap=True, classprefix="tok-")
    return highlight(html.unescape(escaped_code), lexer, formatter)


def highlight_code_blocks(sanitized_html: str) -> str:
    """Colour every plain `language-x` code block whose language Pygments knows."""
    def replace(match: re.Match) -> str:
        coloured = _highlight(match.group(1), match.group(2))
        if coloured is None:
            return match.group(0)
        return f'<pre><code class="language-{match.group(1)}">{coloured}</code></pre>'

    if "<pre><code class=\"language-" not in sanitized_html:
        return sanitized_html
    return _BLOCK_RE.sub(replace, sanitized_html)


def stylesheet() -> str:
    """Token colours for light and dark themes (written into static/app.css by `make css`)."""
    from pygments.formatters import HtmlFormatter

    light = HtmlFormatter(style="default", classprefix="tok-").get_style_defs(".code-light")
    dark = HtmlFormatter(style="monokai", classprefix="tok-").get_style_defs(".code-dark")
    return light + "\n" + dark
