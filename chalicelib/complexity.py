"""How much rendering work a conversation asks for, measured in linear time before any parser runs.

Sanitizing (html5lib, under bleach) and Markdown (markdown-it) are fast on ordinary text but cost far more
per character on markup: up to ~15 us for each `[`, `*` or `<` that markdown-it has to try as a link or
emphasis, and every open element makes html5lib's scope checks longer, so nesting is quadratic (an 80 KB
`"<div>" * 16000` took 10 s). Swapping the library does not help (nh3 is quadratic on the same input), so
the work is bounded here instead:

- nesting: HTML nested deeper than MAX_DEPTH is refused (no chat answer comes near it; the deepest real
  ones are around 20). Markdown needs no check: markdown-it caps its own nesting.
- markup: a conversation may hold at most MAX_MARKUP units of markup, summed over its messages: tags and
  entities in HTML; in Markdown, the punctuation the inline parser acts on, each weighted by what it was
  measured to cost. Real conversations hold 3 to 45 such characters per 1,000, so the budget admits well
  over a megabyte of real chat while the costliest shape at the budget renders in about 1.5 s.

Both are counted with C-speed string methods over the text once; `make bench` shows the worst shapes.
"""
from __future__ import annotations

import re

from .errors import ApiError

MAX_DEPTH = 100
MAX_MARKUP = 250_000  # units of ~5 us: the costliest shape at the budget renders in about 1.2 s

_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]{0,20})")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                   "track", "wbr", "keygen", "basefont", "bgsound", "frame", "image", "menuitem"})


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


# What one character costs to render, in units of about 5 us on this machine (`make bench`, "hostile
# bodies"): markdown-it tries each as emphasis, a link, code or a table cell, and the sanitizer then walks
# the elements it made. A table cell costs ~8x an entity, an autolink's brackets ~4x. A `$` is tried as math
# (~4 us), and a backslash as an escape or as `\\(` / `\\[` opening math (whose closing delimiter is looked for
# within one formula's length).
HTML_WEIGHTS = {"<": 8, "&": 3}
MARKDOWN_WEIGHTS = {"|": 24, "<": 12, ">": 12, "*": 8, "_": 7, "`": 7, "!": 6, "[": 4, "]": 4, "~": 4, "&": 3,
                    "(": 2, '"': 2, "'": 1, "\\": 2, "$": 3}


# Plain text costs too (~0.16 us a character through markdown-it and the sanitizer): one unit per 25
# characters, so markup at the budget plus the largest body still renders in under two seconds.
TEXT_CHARACTERS_PER_UNIT = 25
MATH_TEXT_CHARACTERS_PER_UNIT = 60


def _weighted(text: str, weights: dict[str, int]) -> int:
    return len(text) // TEXT_CHARACTERS_PER_UNIT + sum(text.count(char) * weight for char, weight in weights.items())


def html_markup(html: str) -> int:
    """Tags and entities: what html5lib turns into tokens."""
    return _weighted(html, HTML_WEIGHTS)


def markdown_markup(source: str) -> int:
    """The punctuation markdown-it's inline rules act on (or that becomes an entity for the sanitizer),
    weighted by what each costs.

    Code blocks count too: telling fences apart exactly as markdown-it does (fence lengths, info strings,
    tables and lists around them) is a parser of its own, and guessing wrong would let markup through uncounted.
    """
    cost = _weighted(source, MARKDOWN_WEIGHTS)
    if "$" in source or "\\(" in source or "\\[" in source:
        # Text that may hold TeX is rendered with the math rules too, ~40% more a character (markup.py).
        cost += len(source) // MATH_TEXT_CHARACTERS_PER_UNIT
    return cost


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
            raise too_complex(field, "the conversation holds more markup (tags, entities, Markdown punctuation) "
                                     "than one share may render, counting up to this message")


def too_complex(field: str, why: str) -> ApiError:
    return ApiError(400, "too_complex", f"{field} is too complex to render: {why}.", field)
