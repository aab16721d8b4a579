"""Dropping a conversation's pages from CloudFront when it is deleted or its owner edits it.

Published pages are cached at the edge for five minutes (`published.PAGE_CACHE`: `s-maxage=300`), exports for five
and API answers for one, and a short link's 301 for a year in browsers; without this a delete would not hold until
those ran out. One CreateInvalidation per change, of exact paths only: CloudFront runs at most 15 invalidations
with a wildcard at once (past that it refuses them) but 3,000 paths of exact ones. The paths are the conversation's
every cacheable URL: its page, its short link, its API answer and its exports (each format is its own cache entry:
`format` is in the cache key). An invalidation CloudFront refuses (throttled, over its limits, unreachable) is not
a log line: its paths go to a durable queue (one counters item) that the scheduled job sends again until CloudFront
takes them. CloudFront's first 1,000 paths a month are free, then $0.005 each. Locally (no DISTRIBUTION_ID) nothing
is called; the paths are recorded in INVALIDATED so tests can see what would have been.
"""
from __future__ import annotations

import logging
import time

from . import keys, settings
from .aws import cloudfront
from .links import conversation_paths
from .models import Counter

INVALIDATED: list[list[str]] = []
_log = logging.getLogger(__name__)
# CloudFront takes at most 3,000 exact paths in progress; one batch stays well inside that.
BATCH = 1000


def invalidate_conversation(conversation_id: str, also: list[str] | None = None) -> None:
    """Ask CloudFront to forget everything it cached of this conversation (and the paths `also`, such as an
    avatar removed with it); never fails the caller (the change itself is done): paths CloudFront refuses
    are queued for the scheduled job to send again."""
    invalidate(conversation_paths(conversation_id) + (also or []), conversation_id)


def invalidate(paths: list[str], reference: str) -> None:
    """One invalidation of exact `paths`; what CloudFront refuses waits in the durable queue (never fails)."""
    if not paths:
        return
    INVALIDATED.append(list(paths))
    if settings.get().distribution_id and not _create(list(paths), reference):
        _queue(list(paths))


def _create(paths: list[str], reference: str) -> bool:
    """One CreateInvalidation of exact paths; whether CloudFront took it."""
    try:
        cloudfront().create_invalidation(DistributionId=settings.get().distribution_id, InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths},
            "CallerReference": f"{reference}-{time.time_ns()}"})
        return True
    except Exception:  # noqa: BLE001 - whatever CloudFront or the network said, the paths must not be lost
        _log.warning("CloudFront refused an invalidation of %d paths; they wait for the scheduled retry",
                     len(paths), exc_info=True)
        return False


def _queue(paths: list[str]) -> None:
    try:
        Counter(keys.CDN_PENDING).update(actions=[Counter.paths.add(set(paths))])
    except Exception:  # noqa: BLE001 - neither CloudFront nor DynamoDB answers: nothing left to try
        _log.exception("Could not queue %d paths for invalidation: %s", len(paths), paths)


def pending() -> list[str]:
    """The paths waiting for the scheduled retry (one consistent read)."""
    from pynamodb.exceptions import DoesNotExist

    try:
        return sorted(Counter.get(keys.CDN_PENDING, consistent_read=True).paths or ())
    except DoesNotExist:
        return []


def retry_pending() -> int:
    """Send the queued paths again, in batches; each batch CloudFront takes leaves the queue (an atomic
    set DELETE: paths queued meanwhile stay). Run by the scheduled job; returns how many paths were sent."""
    if not settings.get().distribution_id:
        return 0
    waiting = pending()
    sent = 0
    for start in range(0, len(waiting), BATCH):
        batch = waiting[start:start + BATCH]
        if not _create(batch, "retry"):
            break  # CloudFront still refuses: the next run tries again
        Counter(keys.CDN_PENDING).update(actions=[Counter.paths.delete(set(batch))])
        sent += len(batch)
    return sent
