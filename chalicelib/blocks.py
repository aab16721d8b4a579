"""A structured turn's blocks, each rendered and sanitized once, at create time, into the turn's HTML.

What a client wrote is Markdown or text: it goes through markup.py (sanitized, TeX to MathML) or is escaped;
the markup around it (collapsed sections, panels, chips) is ours. Reasoning, code runs and tool steps are
`<details>` (closed), so a reader sees the answer first and opens the rest.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import keys
from .highlight import highlight_code_blocks
from .links import public_object_url
from .markup import markdown_to_html, text_to_html
from .sanitize import LINK_REL
from .validation import Block, CodeBlock, DocumentBlock, FileBlock, ImageBlock, ReasoningBlock, TextBlock, ToolBlock

if TYPE_CHECKING:
    from .complexity import Budget


def charge(block: Block, budget: Budget, field: str) -> None:
    """Charge a block's markup to the conversation's budget before anything is rendered."""
    for name in ("text", "code", "output", "content", "title"):
        value = getattr(block, name, None)
        if isinstance(value, str):
            budget.charge_markdown(value, f"{field}.{name}")


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _code(code: str, language: str | None) -> str:
    cls = f' class="language-{language.lower()}"' if language else ""
    return highlight_code_blocks(f"<pre><code{cls}>{_escape(code)}</code></pre>")


def _size(size: int | None) -> str:
    if size is None:
        return ""
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size = size / 1024  # type: ignore[assignment]
    return ""


def _safe_url(url: str) -> str | None:
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def _text(block: TextBlock, user: bool) -> str:
    if user:
        body = f'<p class="user-text" dir="auto">{text_to_html(block.text)}</p>'
    else:
        body = highlight_code_blocks(markdown_to_html(block.text))
    return f'<div class="block-text spoken">{body}</div>' if block.spoken else body


def _reasoning(block: ReasoningBlock, user: bool) -> str:
    summary = _escape(block.title or "Reasoning")
    if not block.text.strip():  # "Thought for 10s" with no thoughts shared: a label, not an empty expander
        return f'<p class="block reasoning-label">{summary}</p>'
    return f'<details class="block reasoning"><summary>{summary}</summary>{markdown_to_html(block.text)}</details>'


def _code_run(block: CodeBlock, user: bool) -> str:
    label = f"Ran {_escape(block.language)} code" if block.language else "Ran code"
    output = f'<pre class="code-output"><samp>{_escape(block.output)}</samp></pre>' if block.output else ""
    return (f'<details class="block code-run"><summary>{label}</summary>{_code(block.code, block.language)}'
            f"{output}</details>")


def _tool(block: ToolBlock, user: bool) -> str:
    links = [(url, link.title or url) for link in block.links if (url := _safe_url(link.url))]
    if not links:
        return f'<p class="block tool-step">{_escape(block.title)}</p>'
    items = "".join(f'<li><a href="{_escape(url)}" rel="{LINK_REL}">{_escape(title)}</a></li>'
                    for url, title in links)
    return f'<details class="block tool-step"><summary>{_escape(block.title)}</summary><ul>{items}</ul></details>'


# A document longer than this is a card: its first lines, and the whole behind "Show all" (a `<details>`,
# so it is in the HTML and opens without JavaScript). Seven canvas manuscripts printed whole made a page
# 337,760 px tall.
CARD_LINES = 40
PREVIEW_LINES = 6


def _render_document(content: str, block: DocumentBlock) -> str:
    return (_code(content, block.language) if block.format == "code"
            else highlight_code_blocks(markdown_to_html(content)))


def _document(block: DocumentBlock, user: bool) -> str:
    lines = block.content.count("\n") + 1
    header = f"<header><h3>{_escape(block.title)}</h3></header>"
    if not block.content.strip():
        # A card read from a page that showed only its title and kind (Claude's artifact cards): the card as
        # the page showed it, saying plainly that its content was not shared.
        kind = f"Code · {block.language}" if block.format == "code" and block.language else (
            "Code" if block.format == "code" else "Document")
        return (f'<section class="block document doc-card">{header}'
                f'<p class="document-kind">{_escape(kind)} · its content was not shared</p></section>')
    if lines <= CARD_LINES:
        return (f'<section class="block document">{header}'
                f'<div class="document-body">{_render_document(block.content, block)}</div></section>')
    kind = f"{block.language or 'Code'}" if block.format == "code" else "Document"
    preview = _render_document("\n".join(block.content.split("\n")[:PREVIEW_LINES]), block)
    return (f'<section class="block document doc-card">{header}'
            f'<p class="document-kind">{_escape(kind)} · {lines:,} lines</p>'
            f'<div class="document-preview" aria-hidden="true">{preview}</div>'
            f'<details class="document-all"><summary>Show all {lines:,} lines</summary>'
            f'<div class="document-body">{_render_document(block.content, block)}</div></details></section>')


def _image(block: ImageBlock, user: bool) -> str:
    """The image (lazy, its size known so nothing moves as it loads; a click opens it whole), or, when its
    bytes were not shared, a placeholder that names it."""
    if block.media:
        url = _escape(public_object_url(keys.media_object(block.media)))
        alt = _escape(block.alt or block.name)
        return (f'<figure class="block image"><a href="{url}" rel="noopener">'
                f'<img src="{url}" alt="{alt}" width="{block.width}" height="{block.height}" loading="lazy" '
                f'decoding="async"></a></figure>')
    size = f" ({block.width} × {block.height})" if block.width and block.height else ""
    return (f'<figure class="block image-placeholder" role="img" aria-label="Image: {_escape(block.name)}">'
            f"<span>Image: {_escape(block.name)}{size}</span></figure>")


def _file(block: FileBlock, user: bool) -> str:
    """A chip: name, type and size; never the content."""
    details = " · ".join(part for part in (block.mimeType, _size(block.size)) if part)
    return (f'<span class="block file-chip"><span class="file-name">{_escape(block.name)}</span>'
            f'{f" <small>{_escape(details)}</small>" if details else ""}</span>')


_RENDERERS: dict[type, Callable[[Any, bool], str]] = {
    TextBlock: _text, ReasoningBlock: _reasoning, CodeBlock: _code_run, ToolBlock: _tool,
    DocumentBlock: _document, ImageBlock: _image, FileBlock: _file,
}


def render_block(block: Block, user: bool) -> str:
    """One block's HTML (`user`: a user turn, whose text is shown as written, not as Markdown)."""
    return _RENDERERS[type(block)](block, user)


_WORK = (ReasoningBlock, CodeBlock, ToolBlock)
# What the sites themselves call the whole of a turn's work ("Thought for 7m 58s", "Worked for 10 minutes").
_WORK_LABEL = re.compile(r"^(Thought|Thinking|Worked|Reasoned|Researched) for ", re.IGNORECASE)


def render_turn(blocks: list[Block], user: bool) -> str:
    """A turn's HTML. An assistant's work (reasoning, tool steps, code runs, and the images between them, such
    as agent mode's screenshots) is one collapsed group before what follows it, as ChatGPT and Claude show it.
    Text the person saw between steps ends a group and stays in view, so does the answer after the last step;
    the documents and file chips the work made show after its group. A group of one step shows it alone."""
    if user:
        return "".join(render_block(block, user) for block in blocks)
    parts: list[str] = []
    run: list[Block] = []
    for block in [*blocks, None]:
        if block is not None and not isinstance(block, TextBlock):
            run.append(block)
            continue
        parts.append(_work_group(run, user))
        run = []
        if block is not None:
            parts.append(render_block(block, user))
    return "".join(parts)


def _work_group(run: list[Block], user: bool) -> str:
    """The blocks between two texts: the steps (and what came between them) collapsed under one label when
    there are two steps or more; the documents and files they made, and what came after the last step, after."""
    last = max((i for i, block in enumerate(run) if isinstance(block, _WORK)), default=-1)
    work = [block for block in run[:last + 1] if not isinstance(block, (DocumentBlock, FileBlock))]
    if sum(isinstance(block, _WORK) for block in work) < 2:
        return "".join(render_block(block, user) for block in run)
    results = [block for block in run[:last + 1] if isinstance(block, (DocumentBlock, FileBlock))]
    label, labelled = _work_label(work)
    # The step whose title became the group's label is not labelled with it twice.
    inside = "".join(render_block(block.model_copy(update={"title": None}) if block is labelled else block, user)
                     for block in work)
    return (f'<details class="block work"><summary>{_escape(label)}</summary>{inside}</details>'
            + "".join(render_block(block, user) for block in results + run[last + 1:]))


def _work_label(work: Sequence[Block]) -> tuple[str, Block | None]:
    """The site's own label when the turn carries one (and the step that carried it), else what was done:
    "Reasoned and used 12 tools"."""
    for block in reversed(work):
        if isinstance(block, ReasoningBlock) and block.title and _WORK_LABEL.match(block.title):
            return block.title, block
    reasoned = any(isinstance(block, ReasoningBlock) for block in work)
    tools = sum(isinstance(block, (ToolBlock, CodeBlock)) for block in work)
    used = f"used {tools} tool{'' if tools == 1 else 's'}" if tools else ""
    if reasoned and used:
        return f"Reasoned and {used}", None
    return (used.capitalize() if used else "Reasoned"), None

