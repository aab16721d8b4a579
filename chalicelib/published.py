"""A conversation's page as published: drawn once per change, stored at `pages/c/<id>`, served by the CDN.

A reader's view of /c/<id> costs no Lambda and no DynamoDB: CloudFront reads the object from the stage bucket
(origin group: the bucket first, the API's /c/{id} route when the object is missing, which draws, publishes
and answers, so pages older than this module publish on their first view). Every change a reader would see
publishes again: create, retitle, visibility, a hold, a comment added, removed or hidden, a view count that
crossed a 1-2-5 step. The page is the same for everyone (comments in it as data; a signed-in reader's own
state comes from one small request), and it says which templates drew it, so a deploy that changes them can
publish stale pages again (`republish`).

The guarantee (docs/architecture.md): once a delete, takedown or hold for child safety has answered and the
writes in flight have ended, no page object of the conversation exists, and every page object stored after
its removal was followed by an invalidation. A publisher reads consistently, draws, stores the page with the
revision it drew (`rev` on the meta item, bumped by every change the page shows), then reads the meta item
again, consistently: gone, or held for child safety, and it removes what it stored (and invalidates); a newer
revision, and it draws again. A removal deletes the object after its transaction; so either the removal's
delete comes after the publisher's PUT, or the publisher's second read comes after the removal's
transaction, and sees it.

A conversation's link-preview card is drawn when asked for (`card`), not at its create, and never stored: the
CDN keeps it.
"""
from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pynamodb.exceptions import DoesNotExist

from . import cards, cleanup, comments, conversations, ids, keys, links, pages, settings
from .aws import s3, sqs
from .errors import ApiError, not_found, under_review
from .models import ConversationMeta

# Comments and counts reach readers within minutes without an invalidation; a delete invalidates.
PAGE_CACHE = "public, max-age=60, s-maxage=300"
# A new conversation's comments, without a read.
NO_COMMENTS: dict[str, Any] = {"count": 0, "positions": {}}
# A card as the app answers it: the edge keeps it five minutes, as a page (an answer on its way while the
# conversation is deleted may reach the edge after the invalidation), and so do browsers and unfurlers.
CARD_CACHE = "public, max-age=300"
# A page redrawn this many times because changes kept landing is withdrawn instead (the fallback draws it).
ROUNDS = 3
_log = logging.getLogger(__name__)


def render(conversation: dict[str, Any], thread: dict[str, Any]) -> str:
    """The page of `conversation` (as conversations.get returns it) with its comments, `thread` (as an
    anonymous reader sees them: comments.list_comments without a user)."""
    return pages.conversation_page(conversation, links.short_url(conversation["id"]), thread)


def draw(conversation_id: str) -> tuple[str, int]:
    """Read the conversation with its comments (one consistent Query of its partition, up to the last comment)
    and draw its page; returns (HTML, the revision drawn). 404 if it does not exist, 410 if taken down, 451
    while held for child safety."""
    items = conversations.read_partition(conversation_id, keys.COMMENTS_END, consistent=True)
    html = render(conversations.from_items(conversation_id, items), comments.from_items(items))
    return html, conversations.revision(items)


def store(conversation_id: str, html: str, rev: int = 0) -> None:
    """Put the drawn page where the CDN reads it; the template version and revision ride along as metadata."""
    s3().put_object(Bucket=settings.get().bucket, Key=keys.page_object(conversation_id),
                    Body=html.encode("utf-8", "replace"), ContentType="text/html; charset=utf-8",
                    CacheControl=PAGE_CACHE, Metadata={"template": pages.template_version(), "rev": str(rev)})


def publish(conversation_id: str) -> str:
    """Draw the conversation's page from what is stored now and publish it; returns the HTML. Raises as `draw`
    does, also when the conversation went (or was held) while its page was being stored: that page is removed."""
    for _ in range(ROUNDS):
        html, rev = draw(conversation_id)
        store(conversation_id, html, rev)
        if settled(conversation_id, rev):
            return html
    withdraw(conversation_id)  # changes keep landing: the fallback draws the page when it is next read
    return html


def publish_new(conversation: dict[str, Any]) -> None:
    """Store the page of a conversation just created (revision 0, drawn from what the create holds, no read),
    checked as `publish` checks. Never fails the create: without the page, the CDN's fallback draws it."""
    conversation_id = conversation["id"]
    try:
        store(conversation_id, render(conversation, NO_COMMENTS))
        if not settled(conversation_id, 0):
            publish(conversation_id)
    except ApiError:
        pass  # deleted or held meanwhile: its page was removed
    except Exception:  # noqa: BLE001
        _log.warning("The page of %s was not published", conversation_id, exc_info=True)
        withdraw(conversation_id)


def settled(conversation_id: str, rev: int) -> bool:
    """After storing a page of revision `rev`: True if it is still the conversation's page; False if a newer
    revision exists (draw again). Removes the page, and raises 404 or 451, if the conversation is gone or held
    for child safety; removes it and re-raises if the check cannot be made."""
    try:
        meta = ConversationMeta.get(conversation_id, keys.META, consistent_read=True,
                                    attributes_to_get=["id", "part", "kind", "rev", "held"])
    except DoesNotExist:
        cleanup.remove_page(conversation_id)
        raise not_found() from None
    except Exception:
        withdraw(conversation_id)
        raise
    if meta.held == "child_safety":
        cleanup.remove_page(conversation_id)
        raise under_review()
    return int(meta.rev or 0) <= rev


def publish_after_change(conversation_id: str) -> None:
    """Publish again after a change that is already stored. Never fails the change: if the page cannot be
    drawn or stored, the old object is removed instead, so the CDN's fallback draws the page fresh."""
    try:
        publish(conversation_id)
    except ApiError as exc:
        if exc.status not in (404, 410, 451):  # else deleted or held meanwhile: its removal took the page
            withdraw(conversation_id)
    except Exception:  # noqa: BLE001 - the change is stored; a stale page must not outlive it
        withdraw(conversation_id)


def publish_all(conversation_ids: list[str], threads: int = 16) -> int:
    """`publish_after_change` for many conversations (a fold's crossed counts), `threads` at a time; returns
    how many."""
    if conversation_ids:
        with ThreadPoolExecutor(max_workers=min(threads, len(conversation_ids))) as pool:
            list(pool.map(publish_after_change, conversation_ids))
    return len(conversation_ids)


def withdraw(conversation_id: str) -> None:
    """Remove a page that could not be drawn, stored or checked, for the fallback to draw it fresh (queued
    for the scheduled job if even that fails)."""
    _log.warning("Could not publish %s; removing its page for the fallback to draw", conversation_id,
                 exc_info=sys.exc_info()[0] is not None)  # also called when changes kept landing: no exception
    cleanup.remove_page(conversation_id)


def read(conversation_id: str) -> str | None:
    """The published page, or None: the local stack's stand-in for the CDN reading the bucket."""
    try:
        answer = s3().get_object(Bucket=settings.get().bucket, Key=keys.page_object(conversation_id))
    except Exception as exc:
        if _missing(exc):
            return None
        raise
    return answer["Body"].read().decode("utf-8")


def _missing(exc: Exception) -> bool:
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    return code in ("NoSuchKey", "404", "403", "AccessDenied")


def republish(stale_only: bool = True) -> dict[str, int]:
    """Publish again every page drawn by other templates than this code's (all of them without
    `stale_only`), and remove every page whose conversation is gone, taken down or held for child safety
    (an orphan, whatever drew it), here, one after another (what the queue's workers do in parallel: see
    `enqueue_republish`). Lists the pages (one call per 1,000), reads their conversations' state (one
    BatchGet per 100), and each live one's template version (a HEAD).
    Returns {"pages": seen, "published": drawn again, "gone": orphans removed}."""
    counts = {"pages": 0, "published": 0, "gone": 0}
    for chunk in _page_chunks():
        for name, n in republish_ids(chunk, stale_only).items():
            counts[name] += n
    return counts


def _page_chunks(size: int = 100) -> Iterator[list[str]]:
    """The published pages' ids, `size` at a time (one listing call per 1,000)."""
    cfg = settings.get()
    prefix = keys.page_object("")
    for listing in s3().get_paginator("list_objects_v2").paginate(Bucket=cfg.bucket, Prefix=prefix):
        found = [obj["Key"][len(prefix):] for obj in listing.get("Contents", [])]
        for start in range(0, len(found), size):
            yield found[start:start + size]


def republish_ids(conversation_ids: list[str], stale_only: bool = True) -> dict[str, int]:
    """One chunk of a republish: remove the pages of conversations gone or held, draw again the stale ones
    (all of them without `stale_only`). Safe to run twice (a queue message delivered again)."""
    cfg = settings.get()
    current = pages.template_version()
    counts = {"pages": len(conversation_ids), "published": 0, "gone": 0}
    live = _live(conversation_ids)
    for conversation_id in conversation_ids:
        if conversation_id not in live:
            cleanup.remove_page(conversation_id)
            counts["gone"] += 1
            continue
        if stale_only:
            head = s3().head_object(Bucket=cfg.bucket, Key=keys.page_object(conversation_id))
            if head.get("Metadata", {}).get("template") == current:
                continue
        try:
            publish(conversation_id)
            counts["published"] += 1
        except ApiError as exc:
            if exc.status not in (404, 410, 451):
                raise
            counts["gone"] += 1  # went meanwhile: publish removed its page
    return counts


# A message names this many pages: a worker draws them in well under its timeout (about 50 a second
# measured against moto), and a deploy of a million pages sends 1,000 batches of ten messages.
IDS_PER_MESSAGE = 100


def enqueue_republish(stale_only: bool = True) -> dict[str, int]:
    """Queue every published page for the republish workers (a deploy runs this: one listing call per
    1,000 pages and one SendMessageBatch per 1,000). The workers are the `republish_pages` Lambda, at most
    20 at once (infra/stack.yaml), or `drain_republish_queue` locally. Returns {"pages", "messages"}."""
    queue = republish_queue_url()
    counts = {"pages": 0, "messages": 0}
    batch: list[dict[str, str]] = []
    for chunk in _page_chunks(IDS_PER_MESSAGE):
        counts["pages"] += len(chunk)
        batch.append({"Id": str(len(batch)), "MessageBody": json.dumps({"ids": chunk, "staleOnly": stale_only})})
        if len(batch) == 10:
            _send(queue, batch)
            counts["messages"] += len(batch)
            batch = []
    if batch:
        _send(queue, batch)
        counts["messages"] += len(batch)
    return counts


def _send(queue: str, batch: list[dict[str, str]]) -> None:
    answer = sqs().send_message_batch(QueueUrl=queue, Entries=batch)
    if answer.get("Failed"):
        raise RuntimeError(f"{len(answer['Failed'])} republish messages were refused: {answer['Failed'][:1]}")


def republish_queue_url() -> str:
    return str(sqs().get_queue_url(QueueName=settings.get().republish_queue)["QueueUrl"])


def handle_republish_message(body: str) -> dict[str, int]:
    """What a worker does with one message: its pages, republished (the Lambda's and the local drain's code)."""
    message = json.loads(body)
    return republish_ids([str(i) for i in message["ids"]], bool(message.get("staleOnly", True)))


def drain_republish_queue(wait_seconds: int = 1) -> dict[str, int]:
    """Work the queue here until it is empty (`make republish` against `make run`'s moto, where no Lambda
    polls it): the same handling as the Lambda's, a message deleted once done."""
    queue = republish_queue_url()
    counts = {"pages": 0, "published": 0, "gone": 0, "messages": 0}
    while True:
        answer = sqs().receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds)
        messages = answer.get("Messages", [])
        if not messages:
            return counts
        for message in messages:
            for name, n in handle_republish_message(message["Body"]).items():
                counts[name] += n
            sqs().delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            counts["messages"] += 1


def _live(conversation_ids: list[str]) -> set[str]:
    """Which of these ids are conversations whose page may be published (exist, not held for child safety):
    one BatchGet of their meta items."""
    wanted = [(cid, keys.META) for cid in conversation_ids if ids.is_valid_id(cid)]
    if not wanted:
        return set()
    return {meta.id for meta in ConversationMeta.batch_get(wanted, attributes_to_get=["id", "part", "kind", "held"])
            if meta.held != "child_safety"}


def card(conversation_id: str, name: str) -> bytes:
    """The PNG of the link-preview card `cards/<id>/<name>`, drawn for the request: one consistent Query reads
    the conversation (its title and first words; an oversized body's item holds them, so S3 is not read).
    Nothing is stored: the CDN keeps the answer (CARD_CACHE) and a delete or hold invalidates it. 404 unless
    it is the card the conversation names now (an old title's, or a made-up name), 410 if taken down, 451
    while held for child safety; read again after drawing, so a delete, retitle or hold that landed meanwhile
    answers as it would have."""
    key = _card_key(conversation_id, name)
    text = conversations.card_text(conversation_id,
                                   conversations.read_partition(conversation_id, keys.META, consistent=True))
    if text.key != key:
        raise not_found("card")
    png = cards.draw(text.title, text.model, text.source, text.excerpt)
    _still_named(conversation_id, key)
    return png


def card_named(conversation_id: str, name: str) -> None:
    """Raise as `card` would unless `name` names the conversation's card now, drawing nothing: a HEAD's whole
    answer."""
    _still_named(conversation_id, _card_key(conversation_id, name))


def _still_named(conversation_id: str, key: str) -> None:
    """One consistent GetItem of the meta item: 404 unless `key` is its card now, 410 or 451 as the page."""
    try:
        meta = ConversationMeta.get(conversation_id, keys.META, consistent_read=True,
                                    attributes_to_get=["id", "part", "card_key", "held"])
    except DoesNotExist:
        conversations.explain_gone(conversation_id)
        raise not_found() from None
    if meta.held == "child_safety":
        raise under_review()
    if meta.card_key != key:
        raise not_found("card")


def _card_key(conversation_id: str, name: str) -> str:
    if not ids.is_valid_id(conversation_id):
        raise not_found()
    key = keys.card_object_named(conversation_id, name)
    if key is None:
        raise not_found("card")
    return key
