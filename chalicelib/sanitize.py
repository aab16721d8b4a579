"""Allow-list HTML sanitizing with bleach, run once when a conversation is created (never on read).

What survives is what chat answers use: text structure, tables, code with highlighting classes,
and links limited to http/https/mailto. Everything that can run or load something is dropped,
including the contents of script/style/svg/math/form/button elements (a chat page's own
"Copy code" button included), not only their tags.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import bleach
from bleach import html5lib_shim
from bleach._vendor.html5lib import treebuilders
from bleach.sanitizer import BleachSanitizerFilter

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
    "a": ["href", "title", "rel"],
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
_CLASS_KEY = (None, "class")
_REL_KEY = (None, "rel")


class _DropAndTrim(html5lib_shim.Filter):
    """Before sanitizing: drop dangerous elements with their content; keep only highlighting classes."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        depth = 0
        for token in html5lib_shim.Filter.__iter__(self):
            kind = token["type"]
            if depth:
                if kind == "StartTag":
                    depth += 1
                elif kind == "EndTag":
                    depth -= 1
                continue
            if kind in ("StartTag", "EmptyTag"):
                if token["name"].lower() in DROPPED_WITH_CONTENT:
                    depth = 1 if kind == "StartTag" else 0
                    continue
                attrs = token.get("data") or {}
                if _CLASS_KEY in attrs:
                    kept = [c for c in attrs[_CLASS_KEY].split() if _CLASS_RE.fullmatch(c)]
                    if kept:
                        attrs[_CLASS_KEY] = " ".join(kept)
                    else:
                        del attrs[_CLASS_KEY]
            yield token


class _LinkRel(html5lib_shim.Filter):
    """After sanitizing: every link is nofollow noopener, whatever the input said."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in html5lib_shim.Filter.__iter__(self):
            if token["type"] == "StartTag" and token["name"] == "a":
                token["data"][_REL_KEY] = LINK_REL
            yield token


_CHARACTERS = html5lib_shim.constants.tokenTypes["Characters"]
_TEXT_TYPES = frozenset({_CHARACTERS, html5lib_shim.constants.tokenTypes["SpaceCharacters"]})


class _TextMergingTokenizer(html5lib_shim.BleachHTMLTokenizer):
    """Hands the parser each run of text as one token.

    html5lib appends every text token to its element with `text += data`, which copies the text so far:
    a run of n entities (`&lt;` x n: Markdown turns every `<` into one) cost O(n^2). One token per run
    makes that one append. Whitespace merged into text can only move whitespace inside malformed tables.
    """

    def __iter__(self) -> Iterator[dict[str, Any]]:
        pending: dict[str, Any] | None = None
        parts: list[str] = []
        for token in super().__iter__():
            kind = token["type"]
            if kind in _TEXT_TYPES:
                if pending is None:
                    pending, parts = token, [token["data"]]
                else:
                    parts.append(token["data"])
                    if kind == _CHARACTERS:
                        pending["type"] = _CHARACTERS
                continue
            if pending is not None:
                pending["data"] = "".join(parts)
                yield pending
                pending = None
            yield token
        if pending is not None:
            pending["data"] = "".join(parts)
            yield pending


class _Parser(html5lib_shim.BleachHTMLParser):
    def _parse(self, stream: Any, innerHTML: bool = False, container: str = "div", scripting: bool = True,
               **kwargs: Any) -> None:
        # bleach's own _parse with the tokenizer above.
        self.innerHTMLMode = innerHTML
        self.container = container
        self.scripting = scripting
        self.tokenizer = _TextMergingTokenizer(stream=stream, consume_entities=self.consume_entities,
                                               parser=self, **kwargs)
        self.reset()
        try:
            self.mainLoop()
        except html5lib_shim.ReparseException:
            self.reset()
            self.mainLoop()


class _Cleaner(bleach.Cleaner):
    def __init__(self) -> None:
        super().__init__(tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                         protocols=ALLOWED_PROTOCOLS, strip=True, strip_comments=True,
                         filters=[_LinkRel])
        self.walker = html5lib_shim.getTreeWalker("dom")
        # The parser must see dropped elements as tags (not text) so the filter can remove them.
        self.parser = _Parser(
            tree=treebuilders.getTreeBuilder("dom"), tags=ALLOWED_TAGS | DROPPED_WITH_CONTENT, strip=True,
            consume_entities=False, namespaceHTMLElements=False)

    def clean(self, text: str) -> str:
        if not text:
            return ""
        # minidom rather than etree: etree's walker finds each node's place among its siblings with
        # list.index, O(siblings) per node, so a 10,000-row table cost seconds.
        dom = self.parser.parseFragment(text)
        stream = BleachSanitizerFilter(
            source=_DropAndTrim(self.walker(dom)), allowed_tags=self.tags,
            attributes=self.attributes, strip_disallowed_tags=True, strip_html_comments=True,
            css_sanitizer=None, allowed_protocols=self.protocols)
        for filter_class in self.filters:
            stream = filter_class(source=stream)
        return self.serializer.render(stream)


_local = threading.local()  # bleach's parser keeps state: one cleaner per thread


def clean_html(html: str) -> str:
    """Sanitized HTML safe to insert into a page as is."""
    cleaner = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = _Cleaner()
    return cleaner.clean(html).strip()
