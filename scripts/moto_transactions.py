"""TransactWriteItems for moto's DynamoDB with a per-item rollback journal instead of a table-wide copy.

moto 5.2.5's `DynamoDBBackend.transact_write_items` takes `copy.deepcopy` of the *whole table* once for every
item of every transaction, so that it can roll back if one of them fails. Our single-table design writes
several items per create in one transaction, so each create copied the table several times: creates slowed
from ~70 ms to ~500 ms by 1,000 conversations, and moto passed 14 GB before dying near 3,000.

This replacement keeps moto's semantics exactly (all or nothing; the same cancellation reasons, in item
order; the same exceptions for duplicate keys and validation errors), but before touching an item it
records only that item's previous version (or its absence), and on failure restores exactly those, newest
first, and drops the stream records the failed transaction added. A transaction of N items now costs N
small copies, whatever the table's size.

The body of `transact_write_items` is moto's own, changed only where it backs up and restores, so the diff
can be offered upstream as is (`test_moto_patches.py` beside this file is written in moto's test
style). `install()` puts it in place; `scripts/moto_serial.py` calls it before serving.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend, get_filter_expression
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table


@dataclass
class _Before:
    """One item as it was before the transaction touched it (`item` None: it did not exist)."""
    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    item: Item | None
    hash_existed: bool
    stream_length: int | None

    def restore(self) -> None:
        items = self.table.items
        if self.table.has_range_key:
            if self.item is not None:
                items[self.hash_key][self.range_key] = self.item
            else:
                items[self.hash_key].pop(self.range_key, None)
                if not self.hash_existed and not items[self.hash_key]:
                    del items[self.hash_key]
        elif self.item is not None:
            items[self.hash_key] = self.item
        else:
            items.pop(self.hash_key, None)
        shard = self.table.stream_shard
        if shard is not None and self.stream_length is not None:
            del shard.items[self.stream_length:]


def _before(table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> _Before:
    current = table.get_item(hash_key, range_key)
    shard = table.stream_shard
    return _Before(table, hash_key, range_key, copy.deepcopy(current), hash_key in table.items,
                   len(shard.items) if shard is not None else None)


# As complex as moto's own method it replaces, branch for branch: kept that way so the two can be compared.
def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:  # noqa: C901
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    # The previous version of each item this transaction touches, in the order touched.
    journal: list[_Before] = []

    def rollback() -> None:
        for before in reversed(journal):
            before.restore()

    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []  # [(Code, Message, Item), ..]
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        # Check transact writes are not performing multiple operations on the same item
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException

        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")

            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            expression_attribute_names = op.get("ExpressionAttributeNames")
            expression_attribute_values = op.get("ExpressionAttributeValues")
            return_values_on_condition_check_failure = op.get("ReturnValuesOnConditionCheckFailure")

            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]

            check_unicity(table_name, key)

            current = self.get_item(table_name, key)
            if op_type != "ConditionCheck":
                # check_unicity guarantees each item is recorded once, before its first change.
                target_table = self.get_table(table_name)
                journal.append(_before(target_table, *self.get_keys_value(target_table, key)))
            if condition_expression is not None:
                condition_op = get_filter_expression(
                    condition_expression, expression_attribute_names, expression_attribute_values)
                if not condition_op.expr(current):
                    if return_values_on_condition_check_failure == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)

            if op_type == "Put":
                attrs = op["Item"]
                self.put_item(
                    table_name, attrs, condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values)
            elif op_type == "Delete":
                self.delete_item(
                    table_name, key, condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values)
            elif op_type == "Update":
                update_expression = op["UpdateExpression"]
                self.update_item(
                    table_name, key, update_expression=update_expression,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values)
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            # Rollback to the original state, and reraise the error
            rollback()
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))  # type: ignore
        except Exception as e:  # noqa: BLE001
            # As moto does: any other failure of one item is that item's cancellation reason.
            errors.append((type(e).__name__, str(e), original_item))  # type: ignore

    if any(code is not None for code, _, _ in errors):
        # Rollback to the original state, and reraise the errors
        rollback()
        raise TransactionCanceledException(errors)


def install() -> None:
    """Replace moto's table-copying TransactWriteItems with this one (idempotent)."""
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
