"""The PynamoDB connection used for transactions, and transactions whose items have names."""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from pynamodb.connection import Connection
from pynamodb.connection.base import BOTOCORE_EXCEPTIONS
from pynamodb.constants import (
    TRANSACT_CONDITION_CHECK,
    TRANSACT_DELETE,
    TRANSACT_ITEMS,
    TRANSACT_PUT,
    TRANSACT_UPDATE,
    TRANSACT_WRITE_ITEMS,
)
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from . import settings


@lru_cache(maxsize=1)
def connection() -> Connection:
    cfg = settings.get()
    return Connection(region=cfg.region, host=cfg.aws_endpoint, connect_timeout_seconds=cfg.aws_connect_timeout,
                      read_timeout_seconds=cfg.aws_read_timeout, max_retry_attempts=cfg.aws_max_attempts - 1)


class ConditionsFailed(Exception):
    """A transaction was cancelled because the conditions of the items named in `names` failed."""

    def __init__(self, names: frozenset[str]) -> None:
        super().__init__("condition failed: " + ", ".join(sorted(names)))
        self.names = names


class Transaction:
    """One TransactWriteItems call, all or nothing, in which every item with a condition has a name.

    PynamoDB's TransactWrite answers a cancellation with reasons in the order it chose to send the items
    (condition checks, deletes, puts, then updates), which callers would have to know. This sends the items
    in the order they were added and raises ConditionsFailed naming the items whose condition failed; any
    other failure (a conflict with another transaction, throttling) stays a TransactWriteError.

        tx = Transaction()
        tx.put(comment, condition=..., name="comment")
        tx.update(meta, [ConversationMeta.comments.add(1)], condition=..., name="count")
        tx.commit()   # ConditionsFailed(names={"count"}) when the conversation is gone
    """

    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []
        self._names: list[str | None] = []

    def __len__(self) -> int:
        return len(self._items)

    def _add(self, operation: str, kwargs: dict[str, Any], name: str | None) -> None:
        self._items.append({operation: kwargs})
        self._names.append(name)

    def put(self, model: Model, condition: Condition | None = None, name: str | None = None) -> None:
        self._add(TRANSACT_PUT, model.get_save_kwargs_from_instance(condition=condition), name)

    def update(self, model: Model, actions: Sequence[Action], condition: Condition | None = None,
               name: str | None = None) -> None:
        kwargs = model.get_update_kwargs_from_instance(actions=list(actions), condition=condition)
        self._add(TRANSACT_UPDATE, kwargs, name)

    def delete(self, model: Model, condition: Condition | None = None, name: str | None = None) -> None:
        self._add(TRANSACT_DELETE, model.get_delete_kwargs_from_instance(condition=condition), name)

    def check(self, model: Model, condition: Condition, name: str | None = None) -> None:
        """A condition on an item the transaction does not write (ConditionCheck)."""
        self._add(TRANSACT_CONDITION_CHECK, model.get_delete_kwargs_from_instance(condition=condition), name)

    def commit(self) -> None:
        """Write every item or none; raise ConditionsFailed naming the failed conditions."""
        try:
            connection().dispatch(TRANSACT_WRITE_ITEMS, {TRANSACT_ITEMS: self._items})
        except BOTOCORE_EXCEPTIONS as cause:
            error = TransactWriteError("Failed to write transaction items", cause)
            failed = frozenset(name or f"#{index}" for index, name in enumerate(self._names)
                               if _condition_failed_at(error, index))
            if failed:
                raise ConditionsFailed(failed) from error
            raise error from cause


def _condition_failed_at(exc: Exception, index: int) -> bool:
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return index < len(reasons) and reasons[index] is not None and reasons[index].code == "ConditionalCheckFailed"


def failed_condition(exc: Exception) -> bool:
    """True when a single-item write (PutError, UpdateError, DeleteError) failed its condition."""
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"
