"""The owner's side of a share, each one function that reads top to bottom: create, change, delete.

These sit above the domain (conversations, media, rendering: each returns what it did) and below the routes,
and are the only place that chains storing with publishing: a create stores and then publishes; a change
is stored, then published, then invalidated; a delete is authorised, removed, then unpublished and
invalidated (cleanup.py, which queues what fails for the scheduled job).
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from . import avatars, cdn, cleanup, conversations, ids, links, media, published, rendering, settings, validation
from .conversations import Stored
from .donations import described, row
from .errors import ApiError, cleanup_pending, unavailable_from
from .media import Image

_log = logging.getLogger(__name__)


def create(raw: bytes, owner: str | None = None, *, now: float | None = None,
           new_id: Callable[[], str] = ids.new_id) -> dict[str, object]:
    """Share a conversation from a create request's body: validate, resolve its media, render, store,
    publish. Returns {id, url, shortUrl, deleteToken}; `owner` (a user sub) is who shared it while signed in.
    A share is whole or not at all: a 400 for bad input, a 503 if anything of it could not be stored."""
    cfg = settings.get()
    request = validation.parse_create(raw, cfg.max_messages)
    images = media.resolve(request)  # before rendering: image blocks get their real width and height
    avatar = avatars.read_avatar(request.avatarUrl, cfg.max_avatar_bytes) if request.avatarUrl else None
    share = rendering.render_share(request)
    stored = conversations.store(request, share, images, avatar, owner=owner, now=now, new_id=new_id)
    _store_objects(stored, images, avatar)
    published.publish_new(stored.conversation)
    answer: dict[str, object] = {"id": stored.id, "url": links.conversation_url(stored.id),
                                 "shortUrl": links.short_url(stored.id), "deleteToken": stored.token}
    donated = described(stored.owned.meta)
    return answer | ({"dataset": donated} if donated else {})


def _store_objects(stored: Stored, images: dict[str, Image], avatar: avatars.Avatar | None) -> None:
    """Put what the stored conversation needs besides its transaction: its search entries, its new images,
    its avatar (its card is drawn when first asked for). Stored after the references are counted, so no
    removal can run meanwhile. If one cannot be stored, the conversation is removed again (and with it
    whatever it alone counted) and the create answers 503: never a share with a missing image the sharer was
    told is shared."""
    try:
        conversations.index_new(stored.owned.meta)
        media.publish(images)
        if avatar:
            avatars.store_avatar(avatar)
    except Exception as exc:  # noqa: BLE001 - whatever failed, the share must not stay half stored
        _log.warning("The objects of %s were not stored; removing it", stored.id, exc_info=True)
        conversations.remove(stored.owned)
        cleanup.finish_or_defer(stored.id)
        raise unavailable_from(exc) or ApiError(503, "unavailable", "The share could not be stored; please retry.",
                                                headers={"Retry-After": "5"}) from None


def update(conversation_id: str, user_sub: str | None, *, title: str | None = None, visibility: str | None = None,
           comments: bool | None = None, token: str | None = None,
           dataset: validation.DatasetConsent | None = conversations.KEEP_DONATION) -> dict[str, object]:
    """Its owner changes the title, visibility, comments setting or donation: stored (listings and search
    follow), then the old title's card removed, the page published again, and the edge's copies invalidated.
    A change that changes nothing writes, draws and invalidates nothing; a donation alone draws nothing."""
    edit = conversations.update(conversation_id, user_sub, title=title, visibility=visibility, comments=comments,
                                token=token, dataset=dataset)
    if edit.changed:
        # The old title must not live on in a preview.
        old_card = cleanup.remove_object(conversation_id, edit.old_card) if edit.old_card else []
        published.publish_after_change(conversation_id)  # before the invalidation: the edge fetches the new one
        cdn.invalidate_conversation(conversation_id, also=old_card)
    return edit.answer


def dataset_preview(conversation_id: str, token: str | None, user_sub: str | None = None) -> dict[str, object]:
    """For its owner only: the donation as stored and exactly what the open dataset would publish of the
    conversation (its row, scrubbed), with how many of each placeholder the scrubbing put in."""
    meta = conversations.authorise(conversation_id, user_sub, token,
                                   "Only the person who shared this conversation can preview its donation.").meta
    preview = row(meta, conversations.read_messages(meta))
    created = preview.row["created"].isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"dataset": described(meta), "row": preview.row | {"created": created}, "scrubbed": preview.found}


def delete(conversation_id: str, token: str | None, user_sub: str | None = None) -> None:
    """Remove a conversation and everything of it (saves and comments too), given its delete token or by its
    signed-in owner: authorised, removed, then unpublished and invalidated. A 503 when its copies could not
    all be removed yet (queued for the scheduled job); a repeated DELETE then finishes them and succeeds."""
    try:
        owned = conversations.authorise(conversation_id, user_sub, token, "The delete token is missing or wrong.")
    except ApiError as exc:
        # Gone, but perhaps with its cleanup left: finishing it needs no proof of ownership, as it only
        # removes what belonged to a conversation that no longer exists.
        if exc.status == 404 and ids.is_valid_id(conversation_id) and cleanup.finish(conversation_id):
            return
        raise
    conversations.remove(owned)
    if not cleanup.finish_or_defer(conversation_id):  # its page and objects, then the edge's copies
        raise cleanup_pending()
