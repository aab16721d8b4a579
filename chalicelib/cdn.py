"""Dropping a conversation's pages from CloudFront when it is deleted or its owner edits it.

Pages are cached at the edge for a day (`s-maxage=86400`), so without this "delete" would not hold for up
to a day. One CreateInvalidation per change, for the page, the API answers (wildcard: the conversation,
its exports and comments) and the short link; CloudFront's first 1,000 paths a month are free, then
$0.005 each. Locally (no DISTRIBUTION_ID) nothing is called; the paths are recorded in INVALIDATED so
tests can see what would have been.
"""
from __future__ import annotations

import logging
import time

from . import settings

INVALIDATED: list[list[str]] = []
_log = logging.getLogger(__name__)


def conversation_paths(conversation_id: str) -> list[str]:
    return [f"/c/{conversation_id}", f"/api/conversations/{conversation_id}*", f"/{conversation_id}"]


def invalidate_conversation(conversation_id: str, also: list[str] | None = None) -> None:
    """Ask CloudFront to forget everything it cached of this conversation (and the paths `also`, such as an
    avatar removed with it); never fails the caller (the change itself is done: a failed invalidation leaves
    stale copies, and is logged)."""
    paths = conversation_paths(conversation_id) + (also or [])
    INVALIDATED.append(paths)
    distribution = settings.get().distribution_id
    if not distribution:
        return
    from .aws import cloudfront

    try:
        cloudfront().create_invalidation(DistributionId=distribution, InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths},
            "CallerReference": f"{conversation_id}-{time.time_ns()}"})
    except Exception:  # noqa: BLE001 - see the docstring
        _log.exception("CloudFront invalidation failed for %s", conversation_id)
