"""A conversation's page as published: drawn once per change, stored at `pages/c/<id>`, served by the CDN.

A reader's view of /c/<id> costs no Lambda and no DynamoDB: CloudFront reads the object from the stage bucket
(origin group: the bucket first, the API's /c/{id} route when the object is missing, which draws, publishes
and answers, so pages older than this module publish on their first view). Every change a reader would see
publishes again: create, retitle, visibility, a comment added or removed, a view count that crossed a
1-2-5 step. A delete removes the object at once. The page is the same for everyone (comments in it as data;
a signed-in reader's own state comes from one small request), and it says which templates drew it, so a
deploy that changes them can publish stale pages again (`republish`).
"""
from __future__ import annotations

import logging
from typing import Any

from . import keys, settings

# Comments and counts reach readers within minutes without an invalidation; a delete invalidates.
PAGE_CACHE = "public, max-age=60, s-maxage=300"
# A new conversation's comments, without a read.
NO_COMMENTS: dict[str, Any] = {"count": 0, "positions": {}}
_log = logging.getLogger(__name__)


def render(conversation: dict[str, Any], comments: dict[str, Any]) -> str:
    """The page of `conversation` (as conversations.get returns it) with its `comments` (as an anonymous
    reader sees them: comments.list_comments without a user)."""
    from . import links, pages

    return pages.conversation_page(conversation, links.short_url(conversation["id"]), comments)


def draw(conversation_id: str) -> str:
    """Read the conversation with its comments (one Query of its partition, up to the last comment) and draw
    its page; 404 if it does not exist."""
    from . import comments, conversations

    items = conversations.read_partition(conversation_id, keys.COMMENTS_END)
    return render(conversations.from_items(conversation_id, items), comments.from_items(items))


def store(conversation_id: str, html: str) -> None:
    """Put the drawn page where the CDN reads it; the template version rides along as object metadata."""
    from . import pages
    from .aws import s3

    s3().put_object(Bucket=settings.get().bucket, Key=keys.page_object(conversation_id),
                    Body=html.encode("utf-8", "replace"), ContentType="text/html; charset=utf-8",
                    CacheControl=PAGE_CACHE, Metadata={"template": pages.template_version()})


def publish(conversation_id: str) -> str:
    """Draw the conversation's page from what is stored now and publish it; returns the HTML."""
    html = draw(conversation_id)
    store(conversation_id, html)
    return html


def publish_after_change(conversation_id: str) -> None:
    """Publish again after a change that is already stored. Never fails the change: if the page cannot be
    drawn or stored, the old object is removed instead, so the CDN's fallback draws the page fresh."""
    from .errors import ApiError

    try:
        publish(conversation_id)
    except ApiError as exc:
        if exc.status == 404:  # deleted meanwhile: its delete removes the page
            unpublish(conversation_id)
            return
        _withdraw(conversation_id)
    except Exception:  # noqa: BLE001 - the change is stored; a stale page must not outlive it
        _withdraw(conversation_id)


def _withdraw(conversation_id: str) -> None:
    _log.warning("Could not publish %s again; removing its page for the fallback to draw", conversation_id,
                 exc_info=True)
    try:
        unpublish(conversation_id)
    except Exception:  # noqa: BLE001 - nothing left to try; the page expires at the edge within minutes
        _log.exception("Could not remove the stale page of %s", conversation_id)


def unpublish(conversation_id: str) -> None:
    """Remove the published page (a delete, a takedown); the CDN's copies go with the invalidation."""
    from .aws import s3

    s3().delete_object(Bucket=settings.get().bucket, Key=keys.page_object(conversation_id))


def read(conversation_id: str) -> str | None:
    """The published page, or None: the local stack's stand-in for the CDN reading the bucket."""
    from .aws import s3

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
    `stale_only`): run by `make deploy` after a deploy that changed templates or static files. Lists the
    pages (one call per 1,000), reads each one's template version (a HEAD), publishes the stale ones.
    Returns {"pages": seen, "published": drawn again, "gone": pages of deleted conversations removed}."""
    from . import pages
    from .aws import s3
    from .errors import ApiError

    cfg = settings.get()
    current = pages.template_version()
    counts = {"pages": 0, "published": 0, "gone": 0}
    prefix = keys.page_object("")
    for listing in s3().get_paginator("list_objects_v2").paginate(Bucket=cfg.bucket, Prefix=prefix):
        for obj in listing.get("Contents", []):
            counts["pages"] += 1
            conversation_id = obj["Key"][len(prefix):]
            if stale_only:
                head = s3().head_object(Bucket=cfg.bucket, Key=obj["Key"])
                if head.get("Metadata", {}).get("template") == current:
                    continue
            try:
                publish(conversation_id)
                counts["published"] += 1
            except ApiError as exc:
                if exc.status != 404:
                    raise
                unpublish(conversation_id)  # a page its delete could not remove
                counts["gone"] += 1
    return counts
