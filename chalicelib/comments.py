"""Comments anchored to one message of a conversation, with replies one level deep.

A comment is an item in the conversation's partition: `~comment#<id>`, and a reply
`~comment#<parent id>#<id>`. Ids begin with the creation time in hex, so one Query of the
`~comment#` prefix returns every thread oldest first, each followed by its replies. Every write
changes the conversation's `comments` count in the same transaction, conditionally, so the count
stays exact; a reply also counts on its parent, which is how deleting a thread stays exact.
"""
from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from . import ids, keys
from .dynamo import ConditionsFailed, Transaction, failed_condition
from .errors import ApiError, bad_request, not_found
from .listings import iso
from .models import CommentItem, ConversationItem, ConversationMeta

# A comment's public id is its path: "<id>" for a comment, "<parent id>-<id>" for a reply.
TOP_ID_RE = re.compile(r"[0-9a-f]{17}")
COMMENT_ID_RE = re.compile(r"[0-9a-f]{17}(-[0-9a-f]{17})?")
# A thread and its replies are deleted in one transaction (at most 100 items).
MAX_REPLIES = 90
ANONYMOUS_NAME = "former member"


def _new_id(now_ms: int) -> str:
    return f"{now_ms:011x}{secrets.token_hex(3)}"


def _public(item: CommentItem, user_sub: str | None, owner: bool) -> dict[str, Any]:
    parts = keys.comment_path(item.part)
    mine = bool(user_sub) and item.author == user_sub
    return {"id": "-".join(parts), "parentId": parts[0] if len(parts) == 2 else None, "position": int(item.position),
            "author": item.author_name, "html": item.html, "createdAt": iso(int(item.created)),
            "mine": mine, "canDelete": mine or owner}


def list_comments(conversation_id: str, user_sub: str | None = None) -> dict[str, Any]:
    """Every comment of a conversation by message position, oldest first, replies under their comment.

    One Query of the partition from `meta` through the comments (saves sort after them and are not read):
    the meta item comes along for the owner check and the 404.
    """
    if not ids.is_valid_id(conversation_id):
        raise not_found()
    return from_items(list(ConversationItem.query(conversation_id,
                                                  ConversationItem.part.between(keys.META, keys.COMMENTS_END))),
                      user_sub)


def from_items(items: list[ConversationItem], user_sub: str | None = None) -> dict[str, Any]:
    """The comments of a conversation's partition items (as list_comments answers), its meta among them."""
    threads: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    meta = next((item for item in items if isinstance(item, ConversationMeta)), None)
    if meta is None:
        raise not_found()
    owner = bool(user_sub) and meta.user_key == keys.owner(user_sub or "")
    if meta.comments_off and not owner:  # turned off by its owner: kept, shown to them alone
        return {"count": 0, "owner": False, "positions": {}, "off": True}
    for item in items:
        if not isinstance(item, CommentItem):
            continue
        comment = _public(item, user_sub, owner)
        if comment["parentId"] is None:
            comment["replies"] = []
            threads.append(comment)
            by_id[comment["id"]] = comment
        elif comment["parentId"] in by_id:
            by_id[comment["parentId"]]["replies"].append(comment)
    by_position: dict[str, list[dict[str, Any]]] = {}
    for thread in threads:
        by_position.setdefault(str(thread["position"]), []).append(thread)
    return {"count": int(meta.comments or 0), "owner": owner, "positions": by_position,
            "off": bool(meta.comments_off)}


def add(conversation_id: str, user_sub: str, user_name: str, position: int, content: str,
        parent_id: str | None = None, now: float | None = None) -> dict[str, Any]:
    """Write a comment (or a reply) on message `position`: one transaction, no read before it."""
    from .markup import markdown_to_html  # lazy: comrak and nh3 stay off page drawing

    if not ids.is_valid_id(conversation_id):
        raise not_found()
    if parent_id is not None and not TOP_ID_RE.fullmatch(parent_id):
        raise bad_request("parentId is not a comment of this conversation.", "parentId")
    created = int((time.time() if now is None else now) * 1000)
    comment_id = _new_id(created)
    item = CommentItem(conversation_id, keys.comment_part(comment_id, parent_id), user_key=keys.commenter(user_sub),
                       created=created, position=position,
                       author=user_sub, author_name=user_name, content=content, html=markdown_to_html(content),
                       replies=0)
    tx = Transaction()
    tx.put(item, condition=ConversationItem.part.does_not_exist(), name="comment")
    # The position must be a message of this conversation: checked by the count's own condition.
    tx.update(ConversationMeta(conversation_id, keys.META),
              actions=[ConversationMeta.comments.add(1), ConversationMeta.rev.add(1)],
              condition=ConversationMeta.id.exists() & (ConversationMeta.message_count > position) &
              ConversationMeta.comments_off.does_not_exist(), name="count")
    if parent_id:
        tx.update(CommentItem(conversation_id, keys.comment_part(parent_id)), actions=[CommentItem.replies.add(1)],
                  condition=CommentItem.part.exists() & (CommentItem.position == position) &
                  (CommentItem.replies < MAX_REPLIES), name="parent")
    try:
        tx.commit()
    except ConditionsFailed as exc:
        if "count" in exc.names:
            _explain_missing(conversation_id)
            raise bad_request("position is not a message of this conversation.", "position") from None
        if "parent" in exc.names:
            raise bad_request("parentId is not a comment on this message, or its thread is full.",
                              "parentId") from None
        raise
    except Exception:
        if not _stored(item):  # else stored, though the answer was lost on the way: go on as if it had come
            raise
    return _public(item, user_sub, False)


def _stored(item: CommentItem) -> bool:
    """Whether a comment whose write answered an error is there (one consistent read): a retry must not post
    it twice, nor a lost answer hide it from the page."""
    try:
        CommentItem.get(item.id, item.part, consistent_read=True, attributes_to_get=["id", "part", "kind"])
        return True
    except DoesNotExist:
        return False


def _explain_missing(conversation_id: str) -> None:
    """Why a comment's write found no conversation to count on: gone (404) or comments off (403)."""
    try:
        meta = ConversationMeta.get(conversation_id, keys.META, attributes_to_get=["id", "part", "kind",
                                                                                   "comments_off"])
    except DoesNotExist:
        raise not_found() from None
    if meta.comments_off:
        raise ApiError(403, "comments_off", "Its owner turned comments off for this conversation.")


def _thread(conversation_id: str, comment_part: str) -> list[CommentItem]:
    """The comment and, for a top-level one, its replies (one consistent Query of the prefix)."""
    return [item for item in ConversationItem.query(conversation_id, ConversationItem.part.startswith(comment_part),
                                                    consistent_read=True)
            if isinstance(item, CommentItem) and (item.part == comment_part or
                                                 item.part.startswith(comment_part + "#"))]


def delete(conversation_id: str, comment_id: str, user_sub: str) -> int:
    """Delete a comment (with its replies, for a top-level one) as its author or the conversation's owner.

    Returns how many comments went. The transaction requires the reply count it saw, so a reply
    written meanwhile makes it fail rather than be orphaned or miscounted.
    """
    if not ids.is_valid_id(conversation_id) or not COMMENT_ID_RE.fullmatch(comment_id):
        raise not_found("comment")
    parent_id, _, own_id = comment_id.rpartition("-")
    thread = _thread(conversation_id, keys.comment_part(own_id, parent_id or None))
    if not thread:
        raise not_found("comment")
    if thread[0].author != user_sub and not _owns(conversation_id, user_sub):  # the owner check reads only if needed
        raise ApiError(403, "forbidden", "Only its author or the conversation's owner can delete a comment.")
    _delete_thread(conversation_id, thread)
    return len(thread)


def _owns(conversation_id: str, user_sub: str) -> bool:
    try:
        meta = ConversationMeta.get(conversation_id, keys.META, consistent_read=True,
                                    attributes_to_get=["id", "part", "kind", "user_key"])
    except DoesNotExist:
        raise not_found() from None
    return meta.user_key == keys.owner(user_sub)


def _delete_thread(conversation_id: str, thread: list[CommentItem]) -> None:
    comment = thread[0]
    parts = keys.comment_path(comment.part)
    tx = Transaction()
    tx.update(ConversationMeta(conversation_id, keys.META),
              actions=[ConversationMeta.comments.add(-len(thread)), ConversationMeta.rev.add(1)],
              condition=ConversationMeta.id.exists(), name="count")
    tx.delete(comment, condition=CommentItem.part.exists() & (CommentItem.replies == (len(thread) - 1)),
              name="comment")
    for reply in thread[1:]:
        tx.delete(reply)
    if len(parts) == 2:
        tx.update(CommentItem(conversation_id, keys.comment_part(parts[0])), actions=[CommentItem.replies.add(-1)],
                  condition=CommentItem.part.exists(), name="parent")
    try:
        tx.commit()
    except ConditionsFailed as exc:
        if "count" in exc.names:  # the conversation is gone
            raise not_found() from None
        raise ApiError(409, "conflict", "The comment changed meanwhile; please retry.") from None
    except Exception:
        if _stored(comment):  # else deleted, though the answer was lost on the way: go on as if it had come
            raise


def hide(conversation_id: str, comment_id: str, html: str) -> None:
    """The moderators remove a comment's text (its replies stay)."""
    if not ids.is_valid_id(conversation_id) or not COMMENT_ID_RE.fullmatch(comment_id):
        raise not_found("comment")
    parent_id, _, own_id = comment_id.rpartition("-")
    tx = Transaction()
    tx.update(CommentItem(conversation_id, keys.comment_part(own_id, parent_id or None)),
              actions=[CommentItem.hidden.set(1), CommentItem.html.set(html), CommentItem.content.set("")],
              condition=CommentItem.part.exists(), name="comment")
    tx.update(ConversationMeta(conversation_id, keys.META), actions=[ConversationMeta.rev.add(1)],
              condition=ConversationMeta.id.exists(), name="count")
    try:
        tx.commit()
    except ConditionsFailed:
        raise not_found("comment") from None


def remove_all(user_sub: str, anonymize: bool) -> Iterator[tuple[str, int]]:
    """Delete, or with `anonymize` keep without a name, every comment `user_sub` wrote (account deletion),
    one conversation at a time, yielding (its id, how many) as soon as its comments are done: its page is to
    be published again then, so a request that fails half way leaves no page showing a comment that is gone."""
    by_conversation: dict[str, list[ConversationItem]] = {}
    for found in ConversationItem.by_user.query(keys.commenter(user_sub), attributes_to_get=["id", "part", "kind"]):
        by_conversation.setdefault(found.id, []).append(found)
    for conversation_id, found_items in sorted(by_conversation.items()):
        done = sum(_remove_one(found, user_sub, anonymize) for found in found_items)
        if anonymize:  # a name changes on the page: a publisher that drew it before must draw again
            try:
                ConversationMeta(conversation_id, keys.META).update(actions=[ConversationMeta.rev.add(1)],
                                                                    condition=ConversationMeta.id.exists())
            except UpdateError as exc:
                if not failed_condition(exc):
                    raise
        yield conversation_id, done


def _remove_one(found: ConversationItem, user_sub: str, anonymize: bool) -> int:
    if anonymize:
        try:
            found.update(actions=[CommentItem.author.remove(), ConversationItem.user_key.remove(),
                                  CommentItem.author_name.set(ANONYMOUS_NAME)],
                         condition=CommentItem.author == user_sub)
        except UpdateError as exc:
            if not failed_condition(exc):  # else: deleted meanwhile, nothing to do
                raise
        return 1
    thread = _thread(found.id, found.part)
    if thread:
        try:
            _delete_thread(found.id, thread)
        except ApiError:
            return 0
    return 1
