"""The fault sweep's parts (tests/test_faults.py): one AWS call of the app's made to fail through botocore's own
event hooks (scripts/callrecorder.py; no mock of our code), a log of what reached the page objects and
CloudFront, and the invariants every run must leave true.

A call fails as botocore reports a failure after its own retries: `refused` (never sent: S3 or DynamoDB said
503) or `lost` (done, but the answer never came back: a timeout after the write landed).
"""
from __future__ import annotations

import re
import threading
import time
from collections import Counter as Tally
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from conftest import BUCKET, scan_all

from scripts import callrecorder

MODES = ("refused", "lost")
# What an S3 object's key says it belongs to.
_OWN = {"bodies/": "body_key", "cards/": "card_key"}
# Counts a page carries but is not drawn again for (views at 1-2-5 steps, saves never: the page's script reads
# them): a published page equals a fresh draw but for these.
_VIEWS = re.compile(r'<span class="views" id="views">[^<]*</span>|<span class="count">\d+</span>')


def injected(call: callrecorder.Call) -> ClientError:
    code = "SlowDown" if call.service == "s3" else "ServiceUnavailable"
    return ClientError({"Error": {"Code": code, "Message": "injected by the fault sweep"},
                        "ResponseMetadata": {"HTTPStatusCode": 503}}, call.operation)


class Fault(callrecorder.Listener):
    """Fail the k-th AWS call the app makes from now on (1-based; None: fail nothing, only count)."""

    def __init__(self, k: int | None = None, mode: str = "refused") -> None:
        self.k, self.mode, self.calls = k, mode, 0
        self.failed: tuple[str, str] | None = None
        self._lock = threading.Lock()

    def before(self, call: callrecorder.Call) -> None:
        with self._lock:
            self.calls += 1
            hit = self.calls == self.k
        if hit:
            self.failed = (call.service, call.operation)
            if self.mode == "refused":
                raise injected(call)
            call.notes["fail"] = True

    def after(self, call: callrecorder.Call) -> None:
        if call.notes.get("fail"):
            raise injected(call)


class EdgeLog(callrecorder.Listener):
    """Every page object stored or deleted and every invalidation CloudFront took, in the order they landed
    (a `lost` call landed too): the CDN's view of a conversation is a function of this sequence."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self._lock = threading.Lock()

    def after(self, call: callrecorder.Call) -> None:
        if call.status is None or call.status >= 300:
            return
        with self._lock:
            key = call.params.get("Key", "")
            if call.operation in ("PutObject", "DeleteObject") and key.startswith("pages/c/"):
                self.events.append((call.operation, key[len("pages/c/"):]))
            elif call.operation in ("PutObject", "DeleteObject") and key.startswith("dataset/"):
                self.events.append((call.operation, f"/{key}"))
            elif call.operation == "CreateInvalidation":
                self.events.append(("invalidate", set(call.params["InvalidationBatch"]["Paths"]["Items"])))

    def outlives(self, conversation_id: str) -> bool:
        """Whether an edge copy of the page could outlive the last invalidation: the page was stored or removed
        after the last invalidation of /c/<id> (or never invalidated since it was stored)."""
        last_write = last_invalidation = -1
        for index, (operation, subject) in enumerate(self.events):
            if operation == "invalidate" and f"/c/{conversation_id}" in subject:
                last_invalidation = index
            elif operation != "invalidate" and subject == conversation_id:
                last_write = index
        return last_write > last_invalidation

    def file_outlives(self, path: str) -> bool:
        """Whether an edge copy of a file the CDN serves as it is (`/dataset/...`) could outlive the last
        invalidation of its path: the file was written after it."""
        last_write = last_invalidation = -1
        for index, (operation, subject) in enumerate(self.events):
            if operation == "invalidate" and path in subject:
                last_invalidation = index
            elif subject == path:
                last_write = index
        return last_write > last_invalidation


@dataclass
class Stored:
    """Everything stored, read with the test's own clients (scans: tests only)."""
    partitions: dict[str, list[dict[str, Any]]]
    metas: dict[str, dict[str, Any]]
    counters: dict[str, dict[str, Any]]
    objects: dict[str, int]


def read_all(aws: dict[str, Any]) -> Stored:
    partitions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in scan_all(aws, "conversations"):
        partitions[item["id"]["S"]].append(item)
    metas = {cid: item for cid, rows in partitions.items() for item in rows if item["part"]["S"] == "meta"}
    return Stored(partitions, metas, {c["key"]["S"]: c for c in scan_all(aws, "counters")}, _objects(aws))


def violations(aws: dict[str, Any], ids: set[str], edge: EdgeLog) -> list[str]:
    """What is wrong in the stored state: globally (no object without its conversation, no conversation
    without its objects, exact counters, no leftover cleanup) and for the conversations `ids` (no page of
    one gone or held, a page equal to a fresh draw, no edge copy outliving its invalidation)."""
    stored = read_all(aws)
    return (_work_left(stored) + _own_objects(stored) + _shared_objects(stored) + _counts(stored) +
            _listings(aws, stored) + _pages(aws, stored, ids, edge))


def _work_left(stored: Stored) -> list[str]:
    """Every cleanup finished, nothing waits in the queue."""
    found = [f"cleanup left: {key}" for key in stored.counters if key.startswith("cleanup#")]
    queue = stored.counters.get("cdn#pending", {})
    if queue.get("paths", {}).get("SS") or queue.get("conversations", {}).get("SS"):
        found.append(f"queue not drained: {queue}")
    return found


def _own_objects(stored: Stored) -> list[str]:
    """A body or card object belongs to a live conversation that names it, and the body or avatar one names is
    there (a card is drawn on its first request: named before it exists)."""
    found = []
    for key in stored.objects:
        for prefix, attribute in _OWN.items():
            meta = stored.metas.get(key.split("/")[1]) if key.startswith(prefix) else None
            if key.startswith(prefix) and (meta is None or meta.get(attribute, {}).get("S") != key):
                found.append(f"orphan object {key}")
    for cid, meta in stored.metas.items():
        for attribute in ("body_key", "avatar_key"):
            key = meta.get(attribute, {}).get("S")
            if key and key not in stored.objects:
                found.append(f"{cid} names a missing {attribute} {key}")
    return found


def _shared_objects(stored: Stored) -> list[str]:
    """Images and avatars: stored while some conversation shows them, counted exactly, no removal half done."""
    found = []
    uses: Tally[str] = Tally()
    shown_by: dict[str, set[str]] = defaultdict(set)
    for cid, meta in stored.metas.items():
        uses.update(meta.get("media_keys", {}).get("SS", []))
        for key in meta.get("media_keys", {}).get("SS", []):
            shown_by[key].add(cid)
        if meta.get("avatar_key", {}).get("S"):
            uses[meta["avatar_key"]["S"]] += 1
    for key, cids in shown_by.items():
        named = set(stored.counters.get(f"refs#{key}", {}).get("conversations", {}).get("SS", []))
        if named != cids:
            found.append(f"refs#{key} names {sorted(named)}, shown by {sorted(cids)}")
    found += [f"orphan shared object {key}" for key in stored.objects
              if key.startswith(("media/", "avatars/")) and not uses[key]]
    for key, n in uses.items():
        if key not in stored.objects:
            found.append(f"missing shared object {key}")
        counted = stored.counters.get(f"refs#{key}", {}).get("n", {}).get("N")
        if counted is None or int(counted) != n:
            found.append(f"refs#{key} counts {counted}, {n} conversations use it")
    found += [f"counter of an unused object, or a removal left half way: {key} {counter}"
              for key, counter in stored.counters.items()
              if key.startswith("refs#") and (not uses[key[5:]] or "state" in counter)]
    return found


def _counts(stored: Stored) -> list[str]:
    """Comment and save counts exact; nothing left under a conversation that is gone but its tombstone."""
    found = []
    for cid, rows in stored.partitions.items():
        meta = stored.metas.get(cid)
        if meta is None:
            left = [i["part"]["S"] for i in rows if i["part"]["S"] != "~removed"]
            found += [f"{cid} is gone but left {left}"] if left else []
            continue
        comments = sum(1 for i in rows if i["part"]["S"].startswith("~comment#"))
        saves = sum(1 for i in rows if i["part"]["S"].startswith("~save#"))
        if int(meta.get("comments", {}).get("N", 0)) != comments or int(meta.get("saves", {}).get("N", 0)) != saves:
            found.append(f"{cid} counts {meta.get('comments')} comments and {meta.get('saves')} saves, "
                         f"has {comments} and {saves}")
    return found


def _listings(aws: dict[str, Any], stored: Stored) -> list[str]:
    """The public count and the search entries are those of the listed conversations."""
    found = []
    listed = {cid for cid, meta in stored.metas.items() if meta.get("list_pk", {}).get("S") == "public"}
    public = int(stored.counters.get("stats#public", {}).get("n", {}).get("N", 0))
    if public != len(listed):
        found.append(f"stats#public is {public}, {len(listed)} are listed")
    entries = {(e["word"]["S"], e["id"]["S"]) for e in scan_all(aws, "search")}
    expected = {(word, cid) for cid in listed for word in stored.metas[cid].get("words", {}).get("SS", [])}
    if entries != expected:
        found.append(f"search entries differ: extra {sorted(entries - expected)[:3]}, "
                     f"missing {sorted(expected - entries)[:3]}")
    return found


def _pages(aws: dict[str, Any], stored: Stored, ids: set[str], edge: EdgeLog) -> list[str]:
    """The conversations `ids`: no page of one gone or held, and no edge copy that outlives its invalidation;
    a live one's page (if published) is what a fresh draw gives."""
    from chalicelib import published

    found = []
    for cid in sorted(ids):
        meta = stored.metas.get(cid)
        page = f"pages/c/{cid}" in stored.objects
        if meta is None or meta.get("held", {}).get("S") == "child_safety":
            found += [f"page of {cid}, which is gone or held"] if page else []
            found += [f"an edge copy of {cid} outlives its last invalidation"] if edge.outlives(cid) else []
        elif page:
            html = aws["s3"].get_object(Bucket=BUCKET, Key=f"pages/c/{cid}")["Body"].read().decode()
            if _VIEWS.sub("", html) != _VIEWS.sub("", published.draw(cid)[0]):
                found.append(f"the page of {cid} is not what a fresh draw gives")
    return found


def _objects(aws: dict[str, Any]) -> dict[str, int]:
    """Every object in the bucket but the ones that expire on their own (uploads, logs, fold state)."""
    found: dict[str, int] = {}
    for listing in aws["s3"].get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for obj in listing.get("Contents", []):
            if not obj["Key"].startswith(("uploads/", "cdn-logs/", "views/")):
                found[obj["Key"]] = obj["Size"]
    return found


class Delay(callrecorder.Listener):
    """Hold each matching AWS call of the app's `seconds` before it is sent: widens a race's window (a page
    drawn from a large conversation takes ~130 ms to store) without touching our code."""

    def __init__(self, operation: str, key_prefix: str, seconds: float) -> None:
        self.operation, self.key_prefix, self.seconds = operation, key_prefix, seconds

    def before(self, call: callrecorder.Call) -> None:
        if call.operation == self.operation and str(call.params.get("Key", "")).startswith(self.key_prefix):
            time.sleep(self.seconds)
