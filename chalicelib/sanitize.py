"""Allow-list HTML sanitizing with nh3 (Ammonia, in Rust), run once when a conversation is created (never on read).

What survives is what chat answers use: text structure, tables, code with highlighting classes,
and links limited to http/https/mailto. Everything that can run or load something is dropped,
including the contents of script/style/svg/math/form/button elements (a chat page's own
"Copy code" button included), not only their tags.

nh3 rather than bleach (issue 33): both parse as browsers do (html5ever, html5lib), but html5lib in pure Python
cost ~0.6 us a character, 1.5 s of a 2.6 MB real chat's 2 s; Ammonia takes 0.04 s. Deep nesting and long
entity runs are superlinear in both, so complexity.py still bounds the input first.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nh3

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
    "strong", "b", "em", "i", "u", "s", "del", "ins", "sub", "sup", "mark", "small", "kbd",
    "blockquote", "pre", "code", "span", "div", "a", "details", "summary",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
})
# Dropped together with everything inside them.
DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "template", "noscript", "iframe", "frame", "frameset", "object", "embed",
    "applet", "svg", "math", "form", "button", "input", "textarea", "select", "option",
    "canvas", "audio", "video", "head", "title", "link", "meta", "base",
})
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "th": ["align", "colspan", "rowspan"],
    "td": ["align", "colspan", "rowspan"],
    "ol": ["start"],
    "code": ["class"],
    "pre": ["class"],
    "span": ["class"],
    "div": ["class"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
# In text that holds right-to-left letters (Hebrew, Arabic, Persian, Syriac, Thaana, N'Ko), each block takes its
# direction from its own first letters, as the chat sites lay them out: an Arabic paragraph, heading, list item
# or cell reads right to left beside English ones. Code keeps the page's left to right (app.css).
_RIGHT_TO_LEFT = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff]")
AUTO_DIRECTION = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "blockquote", "th", "td",
                            "caption", "summary"})
LINK_REL = "nofollow noopener"
# Highlighting classes only (language-python, hljs, hljs-keyword...): layout classes of the
# chat site would only fight our own styles.
_CLASS_RE = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}|hljs(-[A-Za-z0-9_-]{1,40})?")


def _keep_classes(tag: str, attribute: str, value: str) -> str | None:
    """Only highlighting classes survive (the chat site's layout classes would fight our own styles)."""
    if attribute != "class":
        return value
    kept = [name for name in value.split() if _CLASS_RE.fullmatch(name)]
    return " ".join(kept) or None


@lru_cache(maxsize=2)
def _cleaner(directions: bool) -> nh3.Cleaner:
    import nh3  # lazy: the read path (pages, exports) never sanitizes

    set_values = {tag: {"dir": "auto"} for tag in AUTO_DIRECTION} if directions else None
    return nh3.Cleaner(tags=set(ALLOWED_TAGS), clean_content_tags=set(DROPPED_WITH_CONTENT),
                       attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
                       attribute_filter=_keep_classes, url_schemes=set(ALLOWED_PROTOCOLS), strip_comments=True,
                       link_rel=LINK_REL, set_tag_attribute_values=set_values)


def clean_html(html: str) -> str:
    """Sanitized HTML safe to insert into a page as is."""
    return _cleaner(bool(_RIGHT_TO_LEFT.search(html))).clean(html).strip() if html else ""
