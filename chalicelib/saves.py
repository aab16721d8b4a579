"""Saved conversations: a signed-in person's reading list, and each conversation's exact save count.

A save is an item in the conversation's partition (`~save#<user>`), written in one transaction with
the count change on the meta item, each conditional: saving twice fails the put's condition and
changes nothing, so the count can neither drift under concurrent clicks nor count one person twice.
"""
from __future__ import annotations

import time
from typing import Any, NamedTuple

from . import ids, keys, settings, views
from .dynamo import ConditionsFailed, Transaction
from .errors import ApiError, not_found
from .listings import by_user_page, row
from .models import ConversationItem, ConversationMeta, SaveItem


def _count(conversation_id: str) -> int:
    meta = ConversationMeta.get(conversation_id, keys.META, consistent_read=True, attributes_to_get=["saves", "kind"])
    return int(meta.saves or 0)


# The published page prints the save count: it is drawn again when the count crosses one of these, up or
# down (as the view count is, from 10 on: a save is rarer than a view, so the first ones count too).
STEPS = (1, 2, 5) + views.STEPS


class SaveOutcome(NamedTuple):
    answer: dict[str, Any]  # {saved, saves}
    crossed: bool  # the count crossed a step: the page is worth drawing again


def set_saved(conversation_id: str, user_sub: str, saved: bool, now: float | None = None) -> SaveOutcome:
    """Save (or unsave) a conversation for `user_sub`: idempotent; answers {saved, saves}, and whether the
    count crossed a step (the caller draws the page again)."""
    changed = _write(conversation_id, user_sub, saved, now)
    try:
        count = _count(conversation_id)
    except ConversationMeta.DoesNotExist:
        raise not_found() from None
    before = count - 1 if saved else count + 1
    return SaveOutcome({"saved": saved, "saves": count}, changed and views.crossed_step(before, count, STEPS))


def _write(conversation_id: str, user_sub: str, saved: bool, now: float | None = None) -> bool:
    """The save item and the count change, together and conditionally; already so is not an error (False:
    nothing changed)."""
    if not ids.is_valid_id(conversation_id):
        raise not_found()
    item = SaveItem(conversation_id, keys.save_part(user_sub), user_key=keys.saver(user_sub),
                    created=int((time.time() if now is None else now) * 1000))
    tx = Transaction()
    if saved:
        tx.put(item, condition=ConversationItem.part.does_not_exist(), name="save")
    else:
        tx.delete(item, condition=ConversationItem.part.exists(), name="save")
    tx.update(ConversationMeta(conversation_id, keys.META), actions=[ConversationMeta.saves.add(1 if saved else -1)],
              condition=ConversationMeta.id.exists(), name="conversation")
    try:
        tx.commit()
    except ConditionsFailed as exc:
        if "conversation" in exc.names:
            raise not_found() from None
        # Only the save's condition: already in the state asked for, which is what idempotent means here.
        return False
    return True


def list_saved(user_sub: str, cursor: str | None = None, size: int | None = None) -> tuple[list[dict[str, Any]],
                                                                                              str | None]:
    """The conversations `user_sub` saved, newest save first: a Query of the by_user index, then one
    BatchGetItem for the rows (titles can change, so they are not copied into the save)."""
    saves, next_cursor = by_user_page(keys.saver(user_sub), keys.save_part(user_sub), cursor,
                                      size or settings.get().page_size)
    if not saves:
        return [], next_cursor
    found = {m.id: m for m in ConversationMeta.batch_get([(s.id, keys.META) for s in saves])}
    rows = [{**row(found[s.id]), "savedAt": int(s.created)} for s in saves if s.id in found]
    return rows, next_cursor


def status(user_sub: str, conversation_ids: list[str], with_owned: bool = False) -> dict[str, list[str]]:
    """Which of these conversations `user_sub` saved (and, `with_owned`, which they own): one BatchGetItem.

    Ownership costs a meta read per id: the conversation page asks it for one id, My shares for the (at most
    50) ids this browser holds keys of, to list those the account owns once.
    """
    wanted = [cid for cid in dict.fromkeys(conversation_ids) if ids.is_valid_id(cid)][:50]
    wanted_keys = [(cid, keys.save_part(user_sub)) for cid in wanted]
    if with_owned:
        wanted_keys += [(cid, keys.META) for cid in wanted]
    if not wanted_keys:
        return {"saved": [], "owned": []}
    saved, owned = [], []
    for item in ConversationItem.batch_get(wanted_keys, attributes_to_get=["id", "part", "kind", "user_key"]):
        if isinstance(item, SaveItem):
            saved.append(item.id)
        elif item.user_key == keys.owner(user_sub):
            owned.append(item.id)
    return {"saved": sorted(saved, key=wanted.index), "owned": sorted(owned, key=wanted.index)}


def remove_all(user_sub: str) -> int:
    """Unsave everything `user_sub` saved (account deletion); each count goes down with it."""
    done = 0
    for item in ConversationItem.by_user.query(keys.saver(user_sub), attributes_to_get=["id", "part", "kind"]):
        try:
            _write(item.id, user_sub, False)  # no count to show: no read of it
        except ApiError as exc:
            if exc.status != 404:
                raise
            item.delete()  # the conversation went first: only the orphan save is left
        done += 1
    return done
