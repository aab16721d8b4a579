"""The PynamoDB connection used for transactions, created once per process."""
from __future__ import annotations

from functools import lru_cache

from pynamodb.connection import Connection

from . import settings


@lru_cache(maxsize=1)
def connection() -> Connection:
    cfg = settings.get()
    return Connection(region=cfg.region, host=cfg.aws_endpoint, connect_timeout_seconds=cfg.aws_connect_timeout,
                      read_timeout_seconds=cfg.aws_read_timeout, max_retry_attempts=cfg.aws_max_attempts - 1)


def cancelled_by_condition(exc: Exception, index: int) -> bool:
    """True when a TransactWriteItems call was cancelled by the condition of item `index`."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return index < len(reasons) and reasons[index] is not None and reasons[index].code == "ConditionalCheckFailed"


def any_condition_failed(exc: Exception) -> bool:
    """True when a TransactWriteItems call was cancelled by some item's condition (for transactions where
    only one item has a condition, whatever PynamoDB's order of items)."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)


def failed_condition(exc: Exception) -> bool:
    """True when a single-item write (PutError, UpdateError, DeleteError) failed its condition."""
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"
