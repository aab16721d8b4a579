"""How much rendering work a conversation asks for, measured in linear time before any parser runs.

Sanitizing (html5lib, under bleach) and Markdown (markdown-it) are fast on ordinary text but cost far more
per character on markup: up to ~15 us for each `[`, `*` or `<` that markdown-it has to try as a link or
emphasis, and every open element makes html5lib's scope checks longer, so nesting is quadratic (an 80 KB
`"<div>" * 16000` took 10 s). Swapping the library does not help (nh3 is quadratic on the same input), so
the work is bounded here instead:

- nesting: HTML nested deeper than MAX_DEPTH is refused (no chat answer comes near it; the deepest real
  ones are around 20). Markdown needs no check: markdown-it caps its own nesting.
- markup: a conversation may hold at most MAX_MARKUP markup characters, summed over its messages: tags and
  entities (`<`, `&`) in HTML; in Markdown, the punctuation the inline parser acts on. Real conversations
  hold 3 to 45 per 1,000 characters, so the budget admits 2 MB or more of real chat while the costliest
  shape at the budget renders in about a second.

Both are counted with C-speed string methods over the text once; `make bench` shows the worst shapes.
"""
from __future__ import annotations

import re

from .errors import ApiError

MAX_DEPTH = 100
MAX_MARKUP = 100_000

_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]{0,20})")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                   "track", "wbr", "keygen", "basefont", "bgsound", "frame", "image", "menuitem"})
_MARKDOWN_PUNCTUATION = "[]!<>*_`\\&~|\"'("
_DROP_MARKDOWN = str.maketrans("", "", _MARKDOWN_PUNCTUATION)


def html_depth(html: str) -> int:
    """The deepest nesting of elements, counting every non-void start tag as open until its end tag.

    Unclosed tags count as open, so malformed input measures at least as deep as html5lib will build it.
    """
    depth = deepest = 0
    for match in _TAG_RE.finditer(html):
        if match.group(1):
            depth = depth - 1 if depth else 0
        elif match.group(2).lower() not in _VOID:
            depth += 1
            if depth > deepest:
                deepest = depth
    return deepest


def html_markup(html: str) -> int:
    """Tags and entities: what html5lib turns into tokens."""
    return html.count("<") + html.count("&")


def markdown_markup(source: str) -> int:
    """The punctuation markdown-it's inline rules act on (or that becomes an entity for the sanitizer).

    Code blocks count too: telling fences apart exactly as markdown-it does (fence lengths, info strings,
    tables and lists around them) is a parser of its own, and guessing wrong would let markup through uncounted.
    """
    return len(source) - len(source.translate(_DROP_MARKDOWN))


class Budget:
    """The markup left for one conversation; each message is charged before it is rendered."""

    def __init__(self, limit: int = MAX_MARKUP) -> None:
        self.left = limit

    def charge_html(self, html: str, field: str) -> None:
        if html_depth(html) > MAX_DEPTH:
            raise too_complex(field, f"its HTML is nested more than {MAX_DEPTH} elements deep")
        self._spend(html_markup(html), field)

    def charge_markdown(self, source: str, field: str) -> None:
        self._spend(markdown_markup(source), field)

    def _spend(self, cost: int, field: str) -> None:
        self.left -= cost
        if self.left < 0:
            raise too_complex(field, f"the conversation holds more than {MAX_MARKUP:,} markup characters "
                                     f"(tags, entities, Markdown punctuation outside code blocks) by this message")


def too_complex(field: str, why: str) -> ApiError:
    return ApiError(400, "too_complex", f"{field} is too complex to render: {why}.", field)
