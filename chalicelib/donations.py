"""Donations to the open dataset: the consent stored on a conversation, and the row a donation becomes.

A donation is the owner's choice, per conversation, off unless given (on create or by PATCH): a license (SPDX:
CC0-1.0 or CC-BY-4.0, with an optional attribution), and when it was given. It enters a snapshot only after
`DATASET_COOLING_HOURS` (the donor's cooling-off day) and only while still donated, not deleted, held or taken
down (dataset.py, the snapshot job, decides that). What a snapshot holds of it is `row`: the typed blocks and a
plain ShareGPT `conversations` column, every text scrubbed of personal data (scrub.py); the owner's preview
is the same function's answer, so what they see is what will be published.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from . import keys, settings
from .export import fenced, html_to_text
from .rendering import turn_text

if TYPE_CHECKING:
    from .models import ConversationMeta
    from .validation import DatasetConsent

# A turn's role in ShareGPT's `from`: system and tool turns are not in the plain column (their structure is
# in `messages`), so the column alternates human and gpt as FastChat and Axolotl expect.
_FROM = {"user": "human", "assistant": "gpt"}


class Donation(NamedTuple):
    """What the meta item holds of a donation: its attributes, to set on create or by an edit."""
    license: str
    attribution: str | None
    digest: str

    @property
    def shard(self) -> int:
        return keys.dataset_shard(self.digest)


def digest(messages: list[dict[str, Any]]) -> str:
    """A hash of the first prompt and every answer: near-duplicates (the same chat shared twice, or edited
    only in its later prompts) hash alike, so they fall in one shard and the snapshot keeps one."""
    texts = [_visible_text(m) for m in messages]
    first = next((t for m, t in zip(messages, texts, strict=True) if m["role"] == "user"), "")
    answers = [t for m, t in zip(messages, texts, strict=True) if m["role"] == "assistant"]
    canonical = "\x1e".join([" ".join(first.split())] + [" ".join(a.split()) for a in answers])
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def donation(consent: DatasetConsent, messages: list[dict[str, Any]]) -> Donation:
    return Donation(consent.license, consent.attribution if consent.license == "CC-BY-4.0" else None,
                    digest(messages))


def described(meta: ConversationMeta) -> dict[str, Any] | None:
    """The donation as its owner reads it: license, attribution, when given and from when snapshots may
    hold it; None when not donated."""
    if not meta.dataset_pk or meta.donated is None:
        return None
    given = int(meta.donated)
    cooling_ms = int(settings.get().dataset_cooling_hours * 3_600_000)
    return {"license": meta.dataset_license, "attribution": meta.dataset_attribution,
            "donatedAt": _iso(given), "includedFrom": _iso(given + cooling_ms)}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


# ---------------------------------------------------------------- the row a donation becomes

class Row(NamedTuple):
    row: dict[str, Any]
    found: dict[str, int]  # placeholders put in, by kind


def row(meta: ConversationMeta, messages: list[dict[str, Any]]) -> Row:
    """The snapshot's row of a donated conversation, scrubbed: id, source, model, created, license,
    attribution, title, `messages` (role and typed blocks) and `conversations` (ShareGPT's from/value)."""
    from .scrub import scrub  # lazy: phonenumbers' metadata and detect-secrets' plugins only here

    found: Counter[str] = Counter()

    def clean(text: str | None, count: bool = True) -> str | None:
        if not text:
            return text
        scrubbed = scrub(text)
        if count:  # the plain column repeats the blocks' text: counted once
            found.update(scrubbed.found)
        return scrubbed.text

    turns = [{"role": m["role"], "blocks": [_block(b, clean) for b in _blocks(m)]} for m in messages]
    plain: list[dict[str, str]] = []
    for message in messages:
        side = _FROM.get(message["role"])
        value = clean(_visible_text(message), count=False) or ""
        if side is None or not value.strip():
            continue
        if plain and plain[-1]["from"] == side:  # one side's turns in a row read as one turn
            plain[-1]["value"] += "\n\n" + value
        else:
            plain.append({"from": side, "value": value})
    return Row({
        "id": meta.id, "source": meta.source, "model": meta.model,
        "created": datetime.fromtimestamp(int(meta.created or 0) / 1000, timezone.utc),
        "license": meta.dataset_license, "attribution": meta.dataset_attribution,
        "title": clean(meta.title) or "", "messages": turns, "conversations": plain,
    }, dict(found))


BLOCK_FIELDS = ("type", "text", "title", "language", "code", "output", "format", "name", "mime_type", "size",
                "width", "height", "spoken")


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, list):
        return content
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    # Shared through the seed API as the chat page's HTML: its text, read back as Markdown.
    return [{"type": "text", "text": html_to_text(message.get("html", ""))}]


def _block(block: dict[str, Any], clean: Any) -> dict[str, Any]:
    """One typed block with every field a block type may have (absent: null), its texts scrubbed. Images are
    named, never linked: a picture cannot be scrubbed. Tool steps keep their links (scrubbed URLs)."""
    kind = block.get("type")
    text = block.get("text")
    if kind == "document":
        text = block.get("content")
    out = {name: None for name in BLOCK_FIELDS} | {
        "type": kind, "text": clean(text), "title": clean(block.get("title")), "language": block.get("language"),
        "code": clean(block.get("code")), "output": clean(block.get("output")), "format": block.get("format"),
        "name": clean(block.get("name")), "mime_type": block.get("mimeType"), "size": block.get("size"),
        "width": block.get("width"), "height": block.get("height"), "spoken": block.get("spoken"),
    }
    out["links"] = [{"url": clean(link.get("url")), "title": clean(link.get("title"))}
                    for link in block.get("links", [])] if kind == "tool" else None
    return out


def _visible_text(message: dict[str, Any]) -> str:
    """What the turn said, as ShareGPT's `value`: its text blocks, documents and code (not the reasoning or
    tool steps, which are in the typed blocks)."""
    content = message.get("content")
    if not isinstance(content, list):
        text = turn_text(content)
        return html_to_text(message.get("html", "")) if text is None else text
    parts = []
    for block in content:
        kind = block.get("type")
        if kind == "text" and block.get("text"):
            parts.append(block["text"])
        elif kind == "document" and block.get("content"):
            parts.append(block["content"] if block.get("format") != "code" else
                         fenced(block["content"], block.get("language")))
        elif kind == "code" and block.get("code"):
            parts.append(fenced(block["code"], block.get("language")))
    return "\n\n".join(parts)
