"""From a create request to what is stored: the title, every message rendered and sanitized once.

Also the stored body's encoding (compressed JSON) and the seed API's `items` shape read back from it. The
renderers (comrak, nh3, Pygments) are imported inside the functions that use them: the read path
(pages, exports) imports this module and needs none of them.
"""
from __future__ import annotations

import json
import re
import zlib
from typing import TYPE_CHECKING, Any, NamedTuple

from .text import plain_text

if TYPE_CHECKING:  # pydantic, comrak and nh3 load only on the create path
    from .complexity import Budget
    from .validation import CreateConversation

TITLE_MAX = 180
# The sites whose answers show a single newline as a line break (each one's own page, issue 33: ChatGPT, Claude,
# DeepSeek, Gemini, Grok and Perplexity all do, as chat apps do). Markdown from anywhere else (an API client, a
# script) keeps CommonMark's soft break.
LINE_BREAK_SOURCES = frozenset({"chatgpt", "claude", "deepseek", "gemini", "grok", "perplexity"})
DEFAULT_TITLES = {"new chat", "new conversation", "untitled", "untitled conversation"}
_SPACE_RE = re.compile(r"\s+")
_HUMAN_ROLES = {"human": "user", "gpt": "assistant"}
_SEED_NAMES = {"user": "human", "assistant": "gpt", "system": "system", "tool": "tool"}


class Share(NamedTuple):
    """A conversation rendered for storing (conversations.store)."""
    messages: list[dict[str, Any]]  # {role, html[, content]}, sanitized
    title: str
    body: bytes  # the messages, encoded as stored
    model: str | None
    source: str | None


def render_share(request: CreateConversation) -> Share:
    """Render a validated request (its images resolved: media.resolve) for storing: its messages, its title
    (given, or its first human words) and its body."""
    messages = render_messages(request)
    title = derive_title(request.title, first_human(messages))
    model, source = plain_text(request.model, 100) or None, plain_text(request.source, 40) or None
    return Share(messages, title, encode_body(messages), model, source)


def first_human(messages: list[dict[str, Any]]) -> str | None:
    """The text of the first message a person wrote (the default title, the card's excerpt)."""
    return next((turn_text(m.get("content")) for m in messages if m["role"] == "user"), None)


def derive_title(given: str | None, first_human: str | None) -> str:
    """The given title unless empty or a chat site's default; else the first human message; else 'Untitled'."""
    for candidate in (given, first_human):
        text = _SPACE_RE.sub(" ", plain_text(candidate)).strip()
        if text and text.casefold() not in DEFAULT_TITLES:
            return _cut(text, TITLE_MAX)
    return "Untitled"


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if " " in head and not text[limit - 1].isspace():
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:.-") + "…"


def _charge(request: CreateConversation, budget: Budget) -> None:
    """Charge every message's markup before any is rendered: a refused request costs one linear pass."""
    from . import blocks  # lazy: comrak, nh3 and pydantic only on the create path

    if request.messages is not None:
        for index, message in enumerate(request.messages):
            field = f"messages.{index}.content"
            if isinstance(message.content, list):
                for number, block in enumerate(message.content):
                    if not (message.role == "user" and block.type == "text"):
                        blocks.charge(block, budget, f"{field}.{number}")
            elif message.role != "user":  # user turns are escaped text: no parser runs on them
                budget.charge_markdown(message.content, field)
    else:
        for index, item in enumerate(request.items or []):
            if item.from_ == "gpt":
                budget.charge_html(item.value, f"items.{index}.value")


def render_messages(request: CreateConversation) -> list[dict[str, Any]]:
    """Every turn as {role, html[, content]}, sanitized once, here.

    The markup budget is checked for every message before any is rendered, so a refused request costs
    one linear pass and nothing else. Colouring code and converting math have budgets of their own per
    conversation (past them, code shows plain and math as TeX).
    """
    # lazy: Pygments, the TeX converter and the Markdown renderer only on the create path.
    from . import highlight, markup, mathml
    from .complexity import Budget

    _charge(request, Budget())
    breaks = request.source in LINE_BREAK_SOURCES
    with highlight.conversation_budget(), mathml.conversation_budget(), markup.conversation(breaks):
        return _render(request)


def _render(request: CreateConversation) -> list[dict[str, Any]]:
    # lazy: comrak, nh3, Pygments and pydantic only on the create path.
    from . import blocks
    from .highlight import highlight_code_blocks
    from .markup import markdown_to_html, text_to_html
    from .sanitize import clean_html

    rendered: list[dict[str, Any]] = []
    if request.messages is not None:
        for message in request.messages:
            if isinstance(message.content, list):
                # Stored as shared, without the defaults (`"spoken": false` on every text block says nothing).
                shared = [block.model_dump(exclude_none=True, exclude_defaults=True) | {"type": block.type}
                          for block in message.content]
                rendered.append({"role": message.role, "content": shared,
                                 "html": blocks.render_turn(message.content, message.role == "user")})
            elif message.role == "user":
                rendered.append({"role": "user", "html": text_to_html(message.content), "content": message.content})
            else:
                rendered.append({"role": message.role,
                                 "html": highlight_code_blocks(markdown_to_html(message.content)),
                                 "content": message.content})
    else:
        for item in request.items or []:
            role = _HUMAN_ROLES[item.from_]
            if role == "user":
                rendered.append({"role": role, "html": text_to_html(item.value), "content": item.value})
            else:
                # The original client sends the chat page's rendered HTML: keep only what is safe.
                rendered.append({"role": role, "html": highlight_code_blocks(clean_html(item.value))})
    return rendered


def encode_body(messages: list[dict[str, Any]]) -> bytes:
    return zlib.compress(json.dumps({"v": 1, "messages": messages}, separators=(",", ":")).encode("utf-8"), 6)


def decode_body(data: bytes) -> list[dict[str, Any]]:
    return json.loads(zlib.decompress(data))["messages"]


def seed_items(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The messages in the seed API's `items` shape: the human's text, the model's sanitized HTML (of the
    whole turn, for a structured one)."""
    return [{"from": _SEED_NAMES[m["role"]],
             "value": (turn_text(m["content"]) or "") if m["role"] == "user" else m["html"]} for m in messages]


def turn_text(content: str | list[dict[str, Any]] | None) -> str | None:
    """A stored turn's visible text: the Markdown of a plain turn, or a structured turn's text blocks joined."""
    if content is None or isinstance(content, str):
        return content
    return "\n\n".join(block["text"] for block in content if block.get("type") == "text" and block.get("text"))
