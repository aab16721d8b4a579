"""An AWS call ledger: every botocore call the app makes, with bytes and estimated request units.

Request units come from item sizes computed with DynamoDB's sizing rules, never from moto's
ConsumedCapacity (moto invents those). Calls are seen through scripts/callrecorder.py (botocore's event
hooks), PynamoDB's as well as boto3's, the same record the tests' IAM check reads.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from scripts import callrecorder

# us-east-1 on-demand list prices (USD), November 2024 onwards.
PRICE_WRU = 0.625 / 1_000_000
PRICE_RRU = 0.125 / 1_000_000
PRICE_S3 = {"PutObject": 0.005 / 1000, "GetObject": 0.0004 / 1000, "HeadObject": 0.0004 / 1000,
            "DeleteObject": 0.0, "ListObjectsV2": 0.005 / 1000}


def _value_size(value: dict[str, Any]) -> int:
    (kind, data), = value.items()
    if kind == "S":
        return len(data.encode("utf-8"))
    if kind == "N":
        digits = len(data.lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: v}) for v in data)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in data.items())
    return 0


def item_size(item: dict[str, Any] | None) -> int:
    """Bytes of an item in DynamoDB's wire format, as DynamoDB bills them."""
    return sum(len(name.encode("utf-8")) + _value_size(value) for name, value in (item or {}).items())


def wru(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def rru(size: int, consistent: bool = False) -> float:
    units = max(1, math.ceil(size / 4096))
    return units if consistent else units / 2


@dataclass
class Call:
    service: str
    operation: str
    request_bytes: int
    response_bytes: int
    rru: float = 0.0
    wru: float = 0.0  # the table's own writes
    index_wru: float = 0.0  # the global secondary indexes' writes the change caused

    @property
    def dollars(self) -> float:
        return (self.rru * PRICE_RRU + (self.wru + self.index_wru) * PRICE_WRU
                + PRICE_S3.get(self.operation, 0.0))


@dataclass
class Index:
    keys: tuple[str, ...]
    projected: tuple[str, ...] | None  # None: ALL


def _entry(index: Index, table_keys: tuple[str, ...], item: dict[str, Any] | None) -> dict[str, Any] | None:
    """What `index` holds of `item` (None: the item is not in it)."""
    if not item or not all(k in item for k in index.keys):
        return None
    names = set(table_keys) | set(index.keys) | (set(index.projected) if index.projected is not None else set(item))
    return {k: v for k, v in item.items() if k in names}


def index_writes(indexes: list[Index], table_keys: tuple[str, ...], before: dict[str, Any] | None,
                 after: dict[str, Any] | None) -> float:
    """Write units a change of one item costs its table's global secondary indexes, as DynamoDB bills them:
    an item entering or leaving an index is one write of its projected size; a change of an index's key is
    two (the old entry deleted, the new one put); a change of a projected attribute alone is one."""
    units = 0.0
    for index in indexes:
        old, new = _entry(index, table_keys, before), _entry(index, table_keys, after)
        if old is None and new is None:
            continue
        if old is None or new is None:
            units += wru(item_size(old or new))
        elif any(old.get(k) != new.get(k) for k in index.keys):
            units += wru(item_size(old)) + wru(item_size(new))
        elif old != new:
            units += wru(max(item_size(old), item_size(new)))
    return units


def _ops(names: list[str]) -> str:
    """The operations in order of first use; repeats are counted (a fold makes hundreds of the same call)."""
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{name} x{n}" if n > 1 else name for name, n in counts.items()) or "none"


@dataclass
class Ledger:
    calls: list[Call] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "calls": len(self.calls),
            "ops": _ops([f"{c.service}:{c.operation}" for c in self.calls]),
            "bytes": sum(c.request_bytes + c.response_bytes for c in self.calls),
            "rru": sum(c.rru for c in self.calls),
            "wru": sum(c.wru + c.index_wru for c in self.calls),
            "index_wru": sum(c.index_wru for c in self.calls),
            "usd_per_million": sum(c.dollars for c in self.calls) * 1_000_000,
        }


def _json_size(value: Any) -> int:
    def default(o: Any) -> Any:
        if isinstance(o, (bytes, bytearray)):
            return "x" * len(o)
        if hasattr(o, "read"):
            return ""
        return str(o)
    return len(json.dumps(value, default=default))


def _current_size(raw_get, table: str, key: dict[str, Any]) -> int:
    """Size of the item a write will replace or remove (writes are billed on the larger of old and new)."""
    return item_size(raw_get(TableName=table, Key=key).get("Item"))


def _costs(operation: str, params: dict[str, Any], parsed: dict[str, Any],
           before: dict[int, int]) -> tuple[float, float]:
    if operation == "GetItem":
        return rru(item_size(parsed.get("Item")), params.get("ConsistentRead", False)), 0
    if operation in ("Query", "Scan"):
        total = sum(item_size(i) for i in parsed.get("Items", []))
        return rru(total, params.get("ConsistentRead", False)), 0
    if operation == "BatchGetItem":
        return sum(rru(item_size(i)) for items in parsed.get("Responses", {}).values() for i in items), 0
    if operation == "PutItem":
        return 0, wru(max(item_size(params["Item"]), before.get(0, 0)))
    if operation == "UpdateItem":
        return 0, wru(max(item_size(parsed.get("Attributes")), before.get(0, 0)))
    if operation == "DeleteItem":
        return 0, wru(before.get(0, 0))
    if operation == "TransactWriteItems":
        units = 0
        for index, entry in enumerate(params["TransactItems"]):
            size = item_size(entry["Put"]["Item"]) if "Put" in entry else 0
            units += wru(max(size, before.get(index, 0)))
        return 0, 2 * units  # transactions cost two units per item-KB
    if operation == "BatchWriteItem":
        requests = [r for table_requests in params["RequestItems"].values() for r in table_requests]
        return 0, sum(wru(max(item_size(r["PutRequest"]["Item"]) if "PutRequest" in r else 0, before.get(i, 0)))
                      for i, r in enumerate(requests))
    return 0, 0


def _written_items(operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(table, key or whole item) of each item a write touches; the caller keeps the table's key of it."""
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return [(params["TableName"], params.get("Key") or params["Item"])]
    if operation == "TransactWriteItems":
        out = []
        for entry in params["TransactItems"]:
            (kind, body), = entry.items()
            if kind != "ConditionCheck":
                out.append((body["TableName"], body.get("Key") or body["Item"]))
        return out
    if operation == "BatchWriteItem":
        return [(table, r.get("PutRequest", {}).get("Item") or r["DeleteRequest"]["Key"])
                for table, requests in params["RequestItems"].items() for r in requests]
    return []


class _LedgerListener(callrecorder.Listener):
    """Reads the items a write changes before it is sent and after (their sizes, and what their indexes
    hold), and prices each call once it ended."""

    def __init__(self, ledger: Ledger, raw_get: Any, describe: Any) -> None:
        self.ledger, self.get, self.describe = ledger, raw_get, describe
        self.tables: dict[str, tuple[tuple[str, ...], list[Index]]] = {}

    def _indexes(self, table: str) -> tuple[tuple[str, ...], list[Index]]:
        if table not in self.tables:
            found = self.describe(TableName=table)["Table"]
            indexes = [Index(tuple(k["AttributeName"] for k in g["KeySchema"]),
                             None if g["Projection"]["ProjectionType"] == "ALL"
                             else tuple(g["Projection"].get("NonKeyAttributes", [])))
                       for g in found.get("GlobalSecondaryIndexes", [])]
            self.tables[table] = (tuple(k["AttributeName"] for k in found["KeySchema"]), indexes)
        return self.tables[table]

    def _items(self, call: callrecorder.Call) -> list[dict[str, Any] | None]:
        found = []
        for table, body in _written_items(call.operation, call.params):
            table_keys = self._indexes(table)[0]
            found.append(self.get(TableName=table, Key={k: body[k] for k in table_keys}).get("Item"))
        return found

    def before(self, call: callrecorder.Call) -> None:
        if call.service == "dynamodb":
            call.notes["sizes"] = self._sizes_before(call.operation, call.params)
            call.notes["before"] = self._items(call)

    def _sizes_before(self, operation: str, params: dict[str, Any]) -> dict[int, int]:
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            key = params.get("Key") or {k: v for k, v in params["Item"].items()
                                        if k in ("id", "part", "key", "word", "sort", "shard")}
            return {0: _current_size(self.get, params["TableName"], key)}
        if operation == "TransactWriteItems":
            out = {}
            for index, entry in enumerate(params["TransactItems"]):
                (kind, body), = entry.items()
                if kind in ("Update", "Delete"):
                    out[index] = _current_size(self.get, body["TableName"], body["Key"])
            return out
        if operation == "BatchWriteItem":
            requests = [(table, r) for table, table_requests in params["RequestItems"].items() for r in table_requests]
            return {i: _current_size(self.get, table, r["DeleteRequest"]["Key"])
                    for i, (table, r) in enumerate(requests) if "DeleteRequest" in r}
        return {}

    def after(self, call: callrecorder.Call) -> None:
        sizes = call.notes.get("sizes", {})
        dynamodb = call.service == "dynamodb"
        if call.refused:
            # A refused conditional write is still a call, billed as the write it would have been.
            write = _costs(call.operation, call.params, {}, sizes)[1] if dynamodb else 0
            self.ledger.calls.append(Call(call.service, call.operation + " (refused)", _json_size(call.params),
                                          _json_size(call.parsed), 0, write))
            return
        read, write = _costs(call.operation, call.params, call.parsed, sizes) if dynamodb else (0, 0)
        index = 0.0
        if dynamodb and call.notes.get("before") is not None:
            written = _written_items(call.operation, call.params)
            for (table, _), before, after in zip(written, call.notes["before"], self._items(call), strict=True):
                table_keys, indexes = self._indexes(table)
                index += index_writes(indexes, table_keys, before, after)
        response_bytes = _json_size({k: v for k, v in call.parsed.items() if k != "ResponseMetadata"})
        if call.operation == "GetObject":
            response_bytes = int(call.parsed.get("ContentLength", 0))
        self.ledger.calls.append(Call(call.service, call.operation, _json_size(call.params), response_bytes,
                                      read, write, index))


@contextmanager
def recording() -> Iterator[Ledger]:
    """Record every AWS call the app makes inside the block (callrecorder.install() must have run before the
    app's first AWS call: sessions made earlier are not hooked)."""
    import boto3

    from chalicelib import settings

    cfg = settings.get()
    raw = callrecorder.ignore(boto3.client("dynamodb", endpoint_url=cfg.aws_endpoint, region_name=cfg.region))
    ledger = Ledger()
    with callrecorder.listening(_LedgerListener(ledger, raw.get_item, raw.describe_table)):
        yield ledger
