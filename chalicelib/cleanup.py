"""What a conversation's removal leaves to do outside the tables, kept durably until it is done.

A delete or takedown removes the conversation's items in one transaction (conversations.remove). Its copies
elsewhere cannot be in that transaction: the published page, an oversized body and the card in S3, the images
and avatar it was the last to show, the CDN's cached paths, and saves and comments beyond the transaction's
reach. So the same transaction adds to a cleanup item (`cleanup#<id>`, leftovers.py) naming all of it,
and `finish` does that work, every step idempotent, and then deletes the item. When a step fails, the id joins
the durable queue (`cdn#pending`'s `conversations`) that the five-minute job drains (`drain`), and a repeated
DELETE finishes it at once. A page removed while its conversation stays (a hold for child safety, a page a
publisher stored after its conversation went) takes the same road (`remove_page`).

The queue is one item: it holds only what failed, which is rare, and it stays small (a 7-letter id each; the
item's 400 KB would hold about 40,000).
"""
from __future__ import annotations

import logging

from pynamodb.exceptions import DoesNotExist

from . import cdn, keys, references, settings
from .aws import s3
from .leftovers import actions
from .models import ConversationItem, ConversationMeta, Counter, RemovedItem, SearchEntry

_log = logging.getLogger(__name__)


def finish(conversation_id: str) -> bool:
    """Do what the conversation's cleanup item names, then delete the item. Returns False when there is no
    item (nothing left to do); raises when a step fails (the item stays, and so does the work)."""
    try:
        work = Counter.get(keys.cleanup(conversation_id), consistent_read=True)
    except DoesNotExist:
        return False
    if work.rest:
        _delete_rest(conversation_id)
    page = keys.page_object(conversation_id)
    # The page first: it is what readers get.
    for key in sorted(work.objects or (), key=lambda k: (k != page, k)):
        s3().delete_object(Bucket=settings.get().bucket, Key=key)
    if work.entries:
        with SearchEntry.batch_write() as batch:
            for entry in sorted(work.entries):
                batch.delete(SearchEntry(*keys.search_entry_key(entry)))
    released = [f"/{key}" for key in sorted(work.releases or ()) if references.finish_release(key, conversation_id)]
    paths = set(work.paths or ())
    own = [path for path in cdn.conversation_paths(conversation_id) if path in paths]
    cdn.invalidate(own + sorted(paths - set(own)) + released, conversation_id)
    work.delete()
    return True


def finish_or_defer(conversation_id: str, attempts: int = 2) -> bool:
    """`finish` now, a second time if the first failed (every step is idempotent, and one failed call is
    the usual fault); if that fails too, queue the id for the scheduled job. Returns whether all is done."""
    for _ in range(attempts):
        try:
            finish(conversation_id)
            return True
        except Exception:  # noqa: BLE001 - whatever failed, the item keeps the work and the queue finds it
            _log.warning("The cleanup of %s did not finish", conversation_id, exc_info=True)
    defer(conversation_id)
    return False


def defer(conversation_id: str, objects: list[str] | None = None, paths: list[str] | None = None) -> None:
    """Queue the conversation's cleanup for the scheduled job, adding `objects` and `paths` to its item first
    (a page to remove while the conversation stays). Never fails the caller: with DynamoDB unreachable too
    there is nothing left to try, and the page expires at the edge within minutes."""
    try:
        if objects or paths:
            Counter(keys.cleanup(conversation_id)).update(
                actions=actions(list(objects or []), [], list(paths or []), rest=False))
        Counter(keys.CDN_PENDING).update(actions=[Counter.conversations.add({conversation_id})])
    except Exception:  # noqa: BLE001
        _log.exception("Could not queue the cleanup of %s", conversation_id)


def remove_page(conversation_id: str) -> bool:
    """Delete the conversation's published page and invalidate its paths; on failure, queue both. Returns
    whether the page is gone now."""
    paths = cdn.conversation_paths(conversation_id)
    for _ in range(2):  # a second time at once: one failed call is the usual fault
        try:
            s3().delete_object(Bucket=settings.get().bucket, Key=keys.page_object(conversation_id))
            break
        except Exception:  # noqa: BLE001 - the queue retries it
            _log.warning("Could not remove the page of %s", conversation_id, exc_info=True)
    else:
        defer(conversation_id, objects=[keys.page_object(conversation_id)], paths=paths)
        return False
    cdn.invalidate(paths, conversation_id)
    return True


def remove_object(conversation_id: str, key: str) -> list[str]:
    """Delete a public object of a conversation that stays (the card of its old title): its CDN path to
    invalidate, or none when S3 refused (then both wait in the queue)."""
    try:
        s3().delete_object(Bucket=settings.get().bucket, Key=key)
        return [f"/{key}"]
    except Exception:  # noqa: BLE001 - the queue removes it
        defer(conversation_id, objects=[key], paths=[f"/{key}"])
        return []


def finish_group(group: str) -> None:
    """Finish the cleanups a request left waiting under `group` (an account's deletion: `user#<sub>`), then
    forget the group. Raises if one fails (the group stays)."""
    try:
        waiting = Counter.get(keys.cleanup(group), consistent_read=True)
    except DoesNotExist:
        return
    for conversation_id in sorted(waiting.conversations or ()):
        finish(conversation_id)
    waiting.delete()


def remember_group(group: str, conversation_ids: set[str]) -> None:
    """Keep the ids whose cleanup waits for the scheduled job under `group`, for a repeated request to finish
    first: a deleted conversation no longer shows in its owner's index."""
    Counter(keys.cleanup(group)).update(actions=[Counter.conversations.add(conversation_ids)])


def pending() -> list[str]:
    """The conversations whose cleanup waits for the scheduled job (one consistent read)."""
    try:
        return sorted(Counter.get(keys.CDN_PENDING, consistent_read=True).conversations or ())
    except DoesNotExist:
        return []


def drain(limit: int = 500) -> dict[str, int]:
    """The scheduled job: finish the queued cleanups (each one leaves the queue once done, an atomic set
    DELETE, so ids queued meanwhile stay), then send the queued invalidations again. Returns
    {"cleanups": finished, "failed": still waiting, "paths": invalidation paths sent}."""
    done = failed = 0
    for conversation_id in pending()[:limit]:
        try:
            finish(conversation_id)
        except Exception:  # noqa: BLE001 - the next run tries again
            _log.warning("The cleanup of %s failed again", conversation_id, exc_info=True)
            failed += 1
            continue
        Counter(keys.CDN_PENDING).update(actions=[Counter.conversations.delete({conversation_id})])
        done += 1
    return {"cleanups": done, "failed": failed, "paths": cdn.retry_pending()}


def _delete_rest(conversation_id: str) -> None:
    """The saves and comments left under a removed conversation's key (a takedown's tombstone stays). Nothing
    can add more: their writes require the conversation's meta item, which is gone."""
    rest = list(ConversationItem.query(conversation_id, consistent_read=True,
                                       attributes_to_get=["id", "part", "kind"]))
    if any(isinstance(found, ConversationMeta) for found in rest):
        return  # the id lives again (a new conversation drew it): what is here is its own
    with ConversationItem.batch_write() as batch:
        for found in rest:
            if not isinstance(found, RemovedItem):
                batch.delete(found)
