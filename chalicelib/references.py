"""Public S3 objects that conversations share (avatars, images), counted: the last conversation to go takes
its objects with it.

The count is a `refs#<key>` counter item, incremented in the create's own transaction (condition: not being
removed) and decremented in the removal's own transaction (conversations.remove), so it is exact whatever
fails after either. Removing the object once the count is 0 is `finish_release`, which the removal's cleanup
runs (cleanup.py) and may run again until it is done.
"""
from __future__ import annotations

from . import keys, settings
from .aws import s3
from .dynamo import failed_condition
from .models import Counter

DELETING = "deleting#"


def counted(object_keys: list[str]) -> list[str]:
    """Which of these shared objects have a reference counter (one BatchGet): only those are counted down
    when a conversation goes. An avatar stored before counting began has none, and is left as it was."""
    if not object_keys:
        return []
    found = {c.key for c in Counter.batch_get([keys.references(k) for k in object_keys], consistent_read=True,
                                               attributes_to_get=["key"])}
    return [k for k in object_keys if keys.references(k) in found]


def finish_release(key: str, remover: str) -> bool:
    """Remove the object at `key` from S3 if no conversation uses it any more; `remover` (the id of the
    conversation whose removal counted it down) owns the removal. Returns whether the object is gone, so its
    CDN path must be invalidated (also when an earlier run of the same cleanup removed it).

    Race-free with a create that takes it up meanwhile: the counter is marked "deleting#<remover>" only while it
    is 0, and a create's transaction requires no mark (conversations.create retries past it), so an object is
    removed only when no conversation can refer to it. One remover at a time: two removals that both find 0
    (two conversations showing the image, deleted together) cannot both hold the mark, so a slow one can never
    delete the object a later create stored again. Idempotent: a run that failed half way can run again.
    """
    from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError

    counter = Counter(keys.references(key))
    mark = DELETING + remover
    try:
        counter.update(actions=[Counter.state.set(mark)],
                       condition=(Counter.n <= 0) & (Counter.state.does_not_exist() | (Counter.state == mark)))
    except UpdateError as exc:
        if not failed_condition(exc):
            raise
        try:  # still used, or another removal holds the mark, or it is gone already
            Counter.get(keys.references(key), consistent_read=True, attributes_to_get=["key"])
            return False
        except DoesNotExist:
            return True
    s3().delete_object(Bucket=settings.get().bucket, Key=key)
    try:
        counter.delete(condition=Counter.state == mark)
    except DeleteError as exc:
        if not failed_condition(exc):
            raise
    return True
