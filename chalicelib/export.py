"""Exports of a conversation: Markdown, the ShareGPT dataset format, and OpenAI chat JSONL."""
from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from typing import Any

from . import keys
from .links import public_object_url
from .rendering import turn_text

FORMATS = {
    "markdown": ("text/markdown; charset=utf-8", "md"),
    "sharegpt": ("application/json; charset=utf-8", "json"),
    "openai": ("application/jsonl; charset=utf-8", "jsonl"),
}
_SHAREGPT_FROM = {"user": "human", "assistant": "gpt", "system": "system", "tool": "tool"}
_HEADINGS = {"user": "User", "assistant": "Assistant", "system": "System", "tool": "Tool"}
_BLOCKS = {"p", "div", "ul", "ol", "table", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "tr"}


class _TextOf(HTMLParser):
    """Sanitized HTML back to readable Markdown-ish text (for turns that arrived as HTML)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.in_pre = False
        self.pre_start = 0
        self.lists: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self.in_pre = True
            self.pre_start = len(self.out)
            self.out.append("\n\n```\n")
        elif tag == "code" and self.in_pre:
            # A chat page's code header (language label, copy button text) is not code: drop it.
            language = next((c[9:] for c in (dict(attrs).get("class") or "").split() if c.startswith("language-")), "")
            del self.out[self.pre_start:]
            self.out.append(f"\n\n```{language}\n")
        elif self.in_pre:
            return
        elif tag == "code":
            self.out.append("`")
        elif tag in ("ul", "ol"):
            self.lists.append(tag)
        elif tag == "li":
            self.out.append("\n" + "  " * (len(self.lists) - 1) + ("1. " if self.lists[-1:] == ["ol"] else "- "))
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag in ("em", "i"):
            self.out.append("*")
        elif tag == "br":
            self.out.append("\n")
        elif tag in ("td", "th"):
            self.out.append(" | ")
        elif tag in _BLOCKS:
            self.out.append("\n\n" + ("#" * int(tag[1]) + " " if tag[0] == "h" and tag[1:].isdigit() else ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.in_pre = False
            self.out.append("\n```\n\n")
        elif self.in_pre:
            return
        elif tag == "code" and not self.in_pre:
            self.out.append("`")
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self.out.append("\n")
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag in ("em", "i"):
            self.out.append("*")
        elif tag in _BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.out)).strip()


def _text(message: dict[str, Any]) -> str:
    """The turn's visible text (with TeX as written): the source of a plain turn, a structured turn's text
    blocks, else its HTML read back as text."""
    text = turn_text(message.get("content"))
    return text if text is not None else html_to_text(message["html"])


_LINK_RE = re.compile(r"https?://[^\s<>]{1,2000}")


def fenced(code: str, language: str | None = None) -> str:
    """A fenced block no line of `code` can close: the fence is longer than any backtick run inside."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language or ''}\n{code}\n{fence}"


def _collapsed(summary: str, body: str) -> str:
    return f"<details><summary>{html.escape(summary)}</summary>\n\n{body}\n\n</details>"


def _block_markdown(block: dict[str, Any]) -> str:
    """One block as Markdown: reasoning, code runs and tool steps collapsible, math as its TeX."""
    kind = block.get("type")
    if kind == "text":
        # A voice turn says so, as the page marks it (🎙): a transcript is not typed text.
        return ("_(spoken)_ " if block.get("spoken") else "") + str(block.get("text", ""))
    if kind == "reasoning":
        return _collapsed(block.get("title") or "Reasoning", block.get("text", ""))
    if kind == "code":
        output = f"\n\nOutput:\n\n{fenced(block['output'])}" if block.get("output") else ""
        return _collapsed(f"Ran {block.get('language') or ''} code".replace("  ", " "),
                          fenced(block.get("code", ""), block.get("language")) + output)
    if kind == "tool":
        links = "\n".join(f"- <{link['url']}>" + (f" {_inline(link['title'])}" if link.get("title") else "")
                          for link in block.get("links", []) if _LINK_RE.fullmatch(link.get("url", "")))
        return _collapsed(block.get("title", ""), links) if links else f"_{_inline(block.get('title', ''))}_"
    if kind == "document":
        body = block.get("content", "")
        if block.get("format") == "code":
            body = fenced(body, block.get("language"))
        return f"**{_inline(block.get('title', 'Document'))}**\n\n{body}"
    if kind == "image":
        if block.get("media"):  # the published image, by its absolute (immutable) URL
            url = public_object_url(keys.media_object(block["media"]))
            return f"![{_inline(block.get('alt') or block.get('name') or 'image')}]({url})"
        return f"_[image: {_inline(block.get('name', 'image'))}]_"
    if kind == "file":
        return f"_[file: {_inline(block.get('name', 'file'))}]_"
    return ""


def _markdown_turn(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "\n\n".join(part for part in (_block_markdown(b) for b in content) if part)
    return _text(message)


_MARKDOWN_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def _inline(text: str) -> str:
    """One line of literal text: whitespace collapsed and Markdown's punctuation escaped."""
    return _MARKDOWN_SPECIAL_RE.sub(r"\\\1", " ".join(text.split()))


def _quoted(text: str) -> str:
    """A message as a block quote: every line of it inside, so no line of it (a `## Assistant`, a setext
    underline) can pass for a turn of the conversation; its own Markdown still renders inside."""
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def to_markdown(conversation: dict[str, Any]) -> str:
    """The conversation as Markdown: literal title and details, each turn a heading over its quoted text."""
    lines = [f"# {_inline(conversation['title'])}", ""]
    details = [_inline(v) for v in (conversation.get("model"), conversation.get("source")) if v]
    lines += [f"_{' · '.join(details + [conversation['createdAt'][:10]])}_", ""]
    for message in conversation["messages"]:
        lines += [f"## {_HEADINGS[message['role']]}", "", _quoted(_markdown_turn(message)), ""]
    return "\n".join(lines)


def to_sharegpt(conversation: dict[str, Any]) -> str:
    """`{id, conversations: [{from, value}]}` as FastChat and Axolotl read it (values as text)."""
    turns = [{"from": _SHAREGPT_FROM[m["role"]], "value": _text(m)} for m in conversation["messages"]]
    return json.dumps({"id": conversation["id"], "conversations": turns}, ensure_ascii=False, indent=2) + "\n"


def to_openai(conversation: dict[str, Any]) -> str:
    """One fine-tuning line: `{"messages": [{role, content}]}` (tool turns become assistant text)."""
    messages = [{"role": m["role"] if m["role"] != "tool" else "assistant", "content": _text(m)}
                for m in conversation["messages"]]
    return json.dumps({"messages": messages}, ensure_ascii=False) + "\n"


def export(conversation: dict[str, Any], fmt: str) -> tuple[str, str, str]:
    """(body, content type, file name) of `conversation` in `fmt`."""
    render = {"markdown": to_markdown, "sharegpt": to_sharegpt, "openai": to_openai}[fmt]
    content_type, extension = FORMATS[fmt]
    return render(conversation), content_type, f"sharegpt-{conversation['id']}.{extension}"
