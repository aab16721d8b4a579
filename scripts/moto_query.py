"""Query for moto's DynamoDB that reads one partition instead of sorting the whole table.

moto 5.2.5's `Table.query` finds candidates through `Table.all_items()`, which lists *every* item of the
table and sorts them all, for every Query, even one on the table's own key: at 10,000 conversations a
Query for one partition took ~0.8 s. Real DynamoDB reads only the partition asked for.

This wraps `Table.query` so that, while it runs, `all_items()` answers with just the partition when the
Query is on the table's key, and unsorted when it is on an index (the index path sorts its candidates by
the index keys itself, with the table's keys as tie-breakers, so the order of results is unchanged).
Everything else about the Query (conditions, filters, limits, paging, projections) is moto's own code.
A GSI Query still reads the whole table, as moto keeps no index structure: only the sort is saved there.

`install()` puts it in place; `scripts/moto_serial.py` calls it before serving. `test_moto_patches.py`
beside this file holds its tests in moto's style.
"""
from __future__ import annotations

from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

_moto_query = Table.query
_moto_all_items = Table.all_items
_ON_INDEX = object()  # the scope of a Query on an index: the whole table
_INDEX_NAME_POSITION = 6  # query(hash_key, range_comparison, range_objs, limit, start, forward, projection, index_name


def all_items(self: Table) -> list[Item]:
    scope = getattr(self, "_query_scope", None)
    if scope is None:
        return _moto_all_items(self)
    if scope is _ON_INDEX:
        if self.range_key_attr:
            return [item for partition in self.items.values() for item in partition.values()]
        return list(self.items.values())
    partition = self.items.get(scope)
    if partition is None:
        return []
    return list(partition.values()) if self.range_key_attr else [partition]  # type: ignore[list-item]


def query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
    index_name = kwargs.get("index_name", args[_INDEX_NAME_POSITION] if len(args) > _INDEX_NAME_POSITION else None)
    self._query_scope = _ON_INDEX if index_name or hash_key is None else hash_key  # type: ignore[attr-defined]
    try:
        return _moto_query(self, hash_key, *args, **kwargs)
    finally:
        del self._query_scope  # type: ignore[attr-defined]


def install() -> None:
    """Put the partition-reading Query in place (idempotent)."""
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
