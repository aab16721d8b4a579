"""Public S3 objects that conversations share (avatars, images), counted: the last conversation to go takes
its objects with it.

The count is a `refs#<key>` counter item, incremented in the create's own transaction (condition: not being
removed); see `release` for the other half.
"""
from __future__ import annotations

from . import keys, settings
from .aws import s3


def release(key: str) -> bool:
    """One conversation less uses the object at `key` (an avatar or an image): the last one removes it from S3
    (the CDN caches it only by its immutable URL, which the caller invalidates). Returns whether it was removed.

    Race-free with a create that takes it up meanwhile: the counter is marked "deleting" only while it is 0,
    and a create's transaction requires that mark absent (conversations.create retries past it), so an object
    is removed only when no conversation can refer to it. Counters are created by creates: an avatar stored
    before they existed has none, and is left as it was.
    """
    from pynamodb.exceptions import DeleteError, UpdateError

    from .dynamo import failed_condition
    from .models import Counter

    counter = Counter(keys.references(key))
    try:
        counter.update(actions=[Counter.n.add(-1)], condition=Counter.key.exists() & Counter.state.does_not_exist())
        counter.update(actions=[Counter.state.set("deleting")],
                       condition=(Counter.n <= 0) & Counter.state.does_not_exist())
    except UpdateError as exc:
        if failed_condition(exc):
            return False  # still used, being removed by another delete, or an avatar from before counting
        raise
    s3().delete_object(Bucket=settings.get().bucket, Key=key)
    try:
        counter.delete(condition=Counter.state == "deleting")
    except DeleteError as exc:
        if not failed_condition(exc):
            raise
    return True
