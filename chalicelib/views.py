"""View counting without hot items or body rewrites.

A view is two small writes: a de-duplication key per (conversation, client) that lives an
hour, and an ADD on one of N counter shards. The periodic roll-up folds the shards into the
conversation's `views` (which feeds the Top index) and is safe to run concurrently: shards
are decremented by what was read, so an overlapping run corrects itself on the next one.
"""
from __future__ import annotations

import random
import time
from collections import defaultdict
from datetime import datetime, timezone

from pynamodb.exceptions import DeleteError, PutError

from . import keys, ratelimit, settings
from .dynamo import ConditionsFailed, Transaction, failed_condition
from .errors import not_found
from .models import ConversationMeta, Counter, ViewShard


def record_view(conversation_id: str, client: str, now: float | None = None) -> bool:
    """Count a view unless this client was counted for this conversation within the window.

    A view of a conversation that does not exist is a 404 that writes nothing (one projected read decides).
    A client counts at most `view_limit` new views per window, so a script cannot inflate Top by walking
    the ids; past it, the beacon is a 429 and nothing is counted.
    """
    cfg = settings.get()
    try:
        ConversationMeta.get(conversation_id, keys.META, attributes_to_get=["kind"])
    except ConversationMeta.DoesNotExist:
        raise not_found() from None
    now = time.time() if now is None else now
    now_dt = datetime.fromtimestamp(now, tz=timezone.utc)
    seen = Counter(keys.seen(conversation_id, client),
                   expires=datetime.fromtimestamp(now + cfg.view_dedup_seconds, tz=timezone.utc))
    try:
        seen.save(condition=Counter.key.does_not_exist() | (Counter.expires < now_dt))
    except PutError as exc:
        if failed_condition(exc):
            return False
        raise
    ratelimit.check("view", client, cfg.view_limit, cfg.view_window_seconds, now)
    shard = ViewShard(conversation_id, random.randrange(cfg.view_shards))
    shard.update(actions=[ViewShard.n.add(1)])
    return True


def roll_up() -> int:
    """Move pending shard counts into each conversation's `views`; returns the views moved.

    Scans the views table, which holds only conversations viewed since the last roll-up.
    This runs on a schedule, never on a request path.
    """
    pending: dict[str, list[ViewShard]] = defaultdict(list)
    for shard in ViewShard.scan():
        pending[shard.id].append(shard)
    moved = 0
    for conversation_id, shards in pending.items():
        nonzero = [s for s in shards if s.n]
        count = sum(int(s.n) for s in nonzero)
        gone = False
        if nonzero:
            tx = Transaction()
            tx.update(ConversationMeta(conversation_id, keys.META), actions=[ConversationMeta.views.add(count)],
                      condition=ConversationMeta.part.exists(), name="conversation")
            for s in nonzero:
                tx.update(s, actions=[ViewShard.n.add(-int(s.n))])
            try:
                tx.commit()
                moved += count
            except ConditionsFailed:
                gone = True  # the conversation was deleted: its pending views go with it
        for s in shards:
            try:
                # Keep the table small: drop shards that are empty (a view that lands meanwhile
                # makes the condition fail and keeps the shard for the next run).
                s.delete(condition=None if gone else (ViewShard.n == 0))
            except DeleteError as exc:
                if not failed_condition(exc):
                    raise
    return moved
