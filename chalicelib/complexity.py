"""How much rendering work a conversation asks for, measured in linear time before any parser runs.

Rendering Markdown (comrak) and sanitizing HTML (nh3: Ammonia on html5ever) are linear and fast on ordinary
text (~0.004 us a character) but cost far more per character on markup: up to ~1 us for a table's `|` or a
`*`, and a long run of entities (`&lt;`, `&quot;`...) in one text node is superlinear in html5ever (320,000 of
them took 1 s). Deep nesting is superlinear in every HTML parser (nh3 took 9 s on 200,000 nested quotes), so:

- nesting: HTML nested deeper than MAX_DEPTH is refused (no chat answer comes near it; the deepest real
  ones are around 20); Markdown whose output nests deeper is shown as plain text (markup.py).
- markup: a conversation may hold at most MAX_MARKUP units of ~0.1 us, summed over its messages: tags and
  entities in HTML; in Markdown, the punctuation the renderer acts on, each weighted by what it was measured
  to cost (`make bench`, "hostile bodies"), and plain text at a unit per 25 characters. A 2.6 MB real chat
  costs about 1.1 million units, so the budget admits every real conversation up to the 5 MB body, while the
  costliest shape at the budget renders in about a second.

Both are counted with C-speed string methods over the text once.
"""
from __future__ import annotations

import re

from .errors import ApiError

MAX_DEPTH = 100
MAX_MARKUP = 12_000_000  # units of ~0.1 us: the costliest shape at the budget renders in about 1.2 s

_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]{0,20})")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                   "track", "wbr", "keygen", "basefont", "bgsound", "frame", "image", "menuitem"})


def html_depth(html: str) -> int:
    """The deepest nesting of elements, counting every non-void start tag as open until its end tag.

    Unclosed tags count as open, so malformed input measures at least as deep as the parser will build it.
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


# What one character costs to render, in units of about 0.1 us on this machine (`make bench`, "hostile
# bodies"): what comrak makes of it, and what nh3 then parses. A character that becomes an entity (`<`, `>`,
# `&`, `"`) counts for the worst case, a long run of them in one text node (superlinear in html5ever): the
# budget holds at most 250,000, which sanitize in under a second. A table cell's `|` or a `*` costs ~1.5 us
# (the whole create, at 5 MB), a newline (a `<br>` where the site breaks lines, or a list item) ~1.3 us. A `$` or
# a backslash may open a formula: ~3.5 us each once the formulas outrun mathml's budget and show as TeX.
HTML_WEIGHTS = {"<": 12, "&": 48}
MARKDOWN_WEIGHTS = {"<": 48, ">": 48, "&": 48, '"': 48, "$": 18, "\\": 18, "|": 15, "*": 15, "-": 14, "\n": 13,
                    "#": 11, "`": 11, "~": 9, "[": 7, "]": 7, "_": 5, "!": 3, "'": 2}
# Plain text costs too (~0.004 us a character through comrak and nh3): one unit per 25 characters.
TEXT_CHARACTERS_PER_UNIT = 25


def _weighted(text: str, weights: dict[str, int]) -> int:
    return len(text) // TEXT_CHARACTERS_PER_UNIT + sum(text.count(char) * weight for char, weight in weights.items())


def html_markup(html: str) -> int:
    """Tags and entities: what the HTML parser turns into tokens."""
    return _weighted(html, HTML_WEIGHTS)


def markdown_markup(source: str) -> int:
    """The punctuation comrak acts on (or that becomes an entity for the sanitizer), weighted by what each
    costs.

    Code blocks count too: telling fences apart exactly as the renderer does (fence lengths, info strings,
    tables and lists around them) is a parser of its own, and guessing wrong would let markup through uncounted.
    """
    return _weighted(source, MARKDOWN_WEIGHTS)


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
