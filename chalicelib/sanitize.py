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


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    import nh3  # lazy: the read path (pages, exports) never sanitizes

    return nh3.Cleaner(tags=set(ALLOWED_TAGS), clean_content_tags=set(DROPPED_WITH_CONTENT),
                       attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
                       attribute_filter=_keep_classes, url_schemes=set(ALLOWED_PROTOCOLS), strip_comments=True,
                       link_rel=LINK_REL)


def clean_html(html: str) -> str:
    """Sanitized HTML safe to insert into a page as is."""
    return _cleaner().clean(html).strip() if html else ""
