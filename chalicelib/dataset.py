"""The open dataset's snapshots: the donated conversations, scrubbed, as Parquet anyone can load.

A snapshot is `dataset/<YYYY-MM-DD>/` in the stage bucket, served by the CDN at `/dataset/...`:
`data/train-<shard>-of-<shards>.parquet` (one row per conversation: donations.row), `README.md` (the dataset
card, with the Hugging Face Hub's YAML header), then `dataset/latest.json` naming the files, written last so it
never names a file that is not there. The daily schedule queues one message per shard; `dataset_shards`
workers write them and the last of the day writes the card and the manifest. `make dataset` queues and works
them at once, in one process.

What a snapshot holds: every conversation donated at least `DATASET_COOLING_HOURS` ago that is still donated
(its `dataset_pk`: a withdrawal removes it), still exists (a delete or takedown removes the item) and is not
held by the moderators; of near-duplicates (the same first prompt and answers: donations.digest, which also
picks the shard) the first donated.

Bounded whatever the dataset's size: each shard is one Query of the sparse `dataset` index read page by page,
bodies fetched 25 at a time, rows written as row groups of about 8 MB of text to a temporary file and
uploaded from it; shards are independent, so the workers write them in parallel (16 at once). A takedown,
a child-safety hold or a delete of a donated conversation queues `<shard>/<id>` in the same transaction
(conversations.forget_donation); `apply_removals`, every quarter-hour, rewrites that shard of
every snapshot still served without it and invalidates its path at the edge. Snapshots older than
`DATASET_RETENTION_DAYS` are deleted.

pyarrow writes the Parquet (requirements-dataset.txt says why); it is a Lambda layer of the writing functions
only, and imported inside the functions that write or rewrite: the /dataset page reads latest.json through
this module without it.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections import Counter as Tally
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from . import cdn, keys, settings
from .aws import missing_object, s3, sqs
from .conversations import body_messages
from .donations import BLOCK_FIELDS, row
from .models import ConversationBody, ConversationMeta, Counter

if TYPE_CHECKING:
    import pyarrow as pa

_log = logging.getLogger(__name__)
BODIES_PER_READ = 25  # a body may be 380 KB compressed (more from S3): 25 keep a read's memory bounded
ROW_GROUP_CHARS = 8 * 1024 * 1024  # of text: a row group's arrays take a few times that
CACHE = "public, max-age=3600"  # a rewrite after a takedown is invalidated at the edge as well
LICENSE_IDS = {"CC0-1.0": "cc0-1.0", "CC-BY-4.0": "cc-by-4.0"}  # SPDX to the Hub's license ids


def schema() -> pa.Schema:
    import pyarrow as pa  # lazy: the dataset layer's

    string = pa.string()
    block = pa.struct([(name, pa.bool_() if name == "spoken" else pa.int64() if name in ("size", "width", "height")
                        else string) for name in BLOCK_FIELDS]
                      + [("links", pa.list_(pa.struct([("url", string), ("title", string)])))])
    return pa.schema([
        ("id", string), ("source", string), ("model", string), ("created", pa.timestamp("ms", tz="UTC")),
        ("license", string), ("attribution", string), ("title", string),
        ("messages", pa.list_(pa.struct([("role", string), ("blocks", pa.list_(block))]))),
        ("conversations", pa.list_(pa.struct([("from", string), ("value", string)]))),
    ])


class ShardResult(NamedTuple):
    shard: int
    key: str | None  # the object written (None: the shard held nothing)
    rows: int
    bytes: int
    duplicates: int
    tally: dict[str, dict[str, int]]  # {"source": {...}, "model": {...}, "license": {...}, "scrubbed": {...}}


def _today(now: float) -> str:
    return datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%d")


def snapshot(now: float | None = None) -> dict[str, Any]:
    """Today's snapshot written here and now: queued, then the queue worked in this process (`make dataset`,
    tests); the figures. Deployed, the daily schedule only queues it (start_snapshot) and the shard workers
    write it, at most DATASET_WORKERS at once."""
    started = start_snapshot(now)
    drain_queue()
    return finished(started["date"])


def start_snapshot(now: float | None = None) -> dict[str, Any]:
    """Queue today's snapshot: one message per shard (10 per SendMessageBatch) naming the day and the
    cooling-off cutoff; a run of the same day again starts its tally again."""
    now = time.time() if now is None else now
    day = _today(now)
    cutoff = int((now - settings.get().dataset_cooling_hours * 3600) * 1000)
    Counter(keys.dataset_run(day), n=0, expires=timedelta(days=7)).save()
    queue = queue_url()
    bodies = [json.dumps({"day": day, "cutoff": cutoff, "shard": shard, "now": now})
              for shard in range(keys.DATASET_SHARDS)]
    for first in range(0, len(bodies), 10):
        answer = sqs().send_message_batch(QueueUrl=queue, Entries=[
            {"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[first:first + 10])])
        if answer.get("Failed"):
            raise RuntimeError(f"{len(answer['Failed'])} dataset messages were refused: {answer['Failed'][:1]}")
    return {"date": day, "shards": len(bodies)}


def handle_shard_message(body: str) -> dict[str, Any]:
    """What a shard worker does with one message: write its shard, record its figures, and when it is the
    last shard of the day to finish, write the card and latest.json and expire old snapshots. A message
    worked twice writes the same shard again and counts once (a set of shards done, not a sum)."""
    message = json.loads(body)
    day, shard = str(message["day"]), int(message["shard"])
    result = write_shard(day, shard, int(message["cutoff"]))
    part = {"key": result.key, "rows": result.rows, "bytes": result.bytes, "duplicates": result.duplicates,
            "tally": result.tally}
    Counter(keys.dataset_part(day, shard), state=json.dumps(part), expires=timedelta(days=7)).save()
    run = Counter(keys.dataset_run(day))
    run.update(actions=[Counter.conversations.add({str(shard)})])
    if len(run.conversations or ()) == keys.DATASET_SHARDS:
        finish(day, float(message.get("now", time.time())))
    return {"shard": shard, "rows": result.rows}


def finish(day: str, now: float) -> dict[str, Any]:
    """The day's card and manifest from every shard's figures (one BatchGet), then old snapshots expired."""
    parts = [json.loads(c.state or "{}") for c in Counter.batch_get(
        [keys.dataset_part(day, shard) for shard in range(keys.DATASET_SHARDS)], consistent_read=True)]
    tally = _merge([p.get("tally", {}) for p in parts])
    rows, size = sum(p.get("rows", 0) for p in parts), sum(p.get("bytes", 0) for p in parts)
    card_key = keys.dataset_object(day, "README.md")
    _put(card_key, card(day, rows, size, tally).encode("utf-8"), "text/markdown; charset=utf-8")
    latest = {"date": day, "rows": rows, "bytes": size, "card": f"/{card_key}",
              "files": sorted(f"/{p['key']}" for p in parts if p.get("key")), "licenses": tally.get("license", {}),
              "sources": tally.get("source", {})}
    _put(keys.DATASET_LATEST, json.dumps(latest, indent=1).encode("utf-8"), "application/json",
         cache="public, max-age=300")
    cdn.invalidate([f"/{keys.DATASET_LATEST}"], f"dataset-{day}")
    figures = {"date": day, "rows": rows, "bytes": size, "shards": len(latest["files"]),
               "duplicates": sum(p.get("duplicates", 0) for p in parts), "expired": expire(now)}
    Counter(keys.dataset_run(day)).update(actions=[Counter.state.set(json.dumps(figures))])
    return figures


def finished(day: str) -> dict[str, Any]:
    """The figures of a day's snapshot once every shard is done (raises while it is not)."""
    run = Counter.get(keys.dataset_run(day), consistent_read=True)
    if not run.state:
        raise RuntimeError(f"The snapshot of {day} is not finished: {len(run.conversations or ())} shards done")
    found: dict[str, Any] = json.loads(run.state)
    return found


def queue_url() -> str:
    return str(sqs().get_queue_url(QueueName=settings.get().dataset_queue)["QueueUrl"])


def drain_queue(wait_seconds: int = 1) -> int:
    """Work the dataset queue here until it is empty (`make dataset` and tests, where no Lambda polls moto's
    queue): the shard workers' own handling, a message deleted once done; how many were worked."""
    queue, worked = queue_url(), 0
    while True:
        messages = sqs().receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                         WaitTimeSeconds=wait_seconds).get("Messages", [])
        if not messages:
            return worked
        for message in messages:
            handle_shard_message(message["Body"])
            sqs().delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            worked += 1


def _merge(tallies: list[dict[str, dict[str, int]]]) -> dict[str, dict[str, int]]:
    merged: dict[str, Tally[str]] = {}
    for tally in tallies:
        for name, counts in tally.items():
            merged.setdefault(name, Tally()).update(counts)
    return {name: dict(counts.most_common()) for name, counts in merged.items()}


def _donations(shard: int, cutoff: int) -> Iterator[ConversationMeta]:
    """The shard's donations older than `cutoff` (ms), oldest first, not held; one index Query read by pages."""
    for meta in ConversationMeta.dataset_index.query(keys.dataset_list(shard), ConversationMeta.donated <= cutoff):
        if not meta.held:
            yield meta


def _with_bodies(metas: Iterator[ConversationMeta]) -> Iterator[tuple[ConversationMeta, list[dict[str, Any]]]]:
    """Each donation with its messages: bodies read BODIES_PER_READ at a time (one BatchGet)."""
    batch: list[ConversationMeta] = []

    def flush() -> Iterator[tuple[ConversationMeta, list[dict[str, Any]]]]:
        bodies = {b.id: b for b in ConversationBody.batch_get([(m.id, keys.BODY) for m in batch])}
        for meta in batch:
            body = bodies.get(meta.id)
            if body is None:  # deleted since the index was read
                continue
            yield meta, body_messages(body)
        batch.clear()

    for meta in metas:
        batch.append(meta)
        if len(batch) == BODIES_PER_READ:
            yield from flush()
    if batch:
        yield from flush()


def write_shard(day: str, shard: int, cutoff: int) -> ShardResult:
    """One shard of the day's snapshot, streamed: rows written as row groups to a temporary file, then put."""
    import pyarrow as pa  # lazy: the dataset layer's
    import pyarrow.parquet as pq

    seen: set[str] = set()
    rows = duplicates = 0
    # What each row adds to the card's tallies, so a row the check after the upload takes out leaves them too.
    written: dict[str, Tally[tuple[str, str]]] = {}
    key = keys.dataset_object(day, keys.dataset_shard_name(shard))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "shard.parquet")
        with pq.ParquetWriter(path, schema(), compression="zstd") as writer:
            group: list[dict[str, Any]] = []
            chars = 0
            for meta, messages in _with_bodies(_donations(shard, cutoff)):
                if meta.dataset_digest in seen:
                    duplicates += 1
                    continue
                seen.add(meta.dataset_digest or meta.id)
                made = row(meta, messages)
                group.append(made.row)
                rows += 1
                chars += sum(len(m["value"]) for m in made.row["conversations"]) * 3  # blocks hold it again
                added = Tally({("scrubbed", kind): n for kind, n in made.found.items()})
                added.update([("source", meta.source or "unknown"), ("model", meta.model or "unknown"),
                              ("license", meta.dataset_license or "unknown")])
                written[meta.id] = added
                if chars >= ROW_GROUP_CHARS:
                    writer.write_table(pa.Table.from_pylist(group, schema=writer.schema))
                    group, chars = [], 0
            if group:
                writer.write_table(pa.Table.from_pylist(group, schema=writer.schema))
        if not rows:
            return ShardResult(shard, None, 0, 0, duplicates, {})
        size = os.path.getsize(path)
        _upload(path, key)
    # Checked after it is stored, as a page is: a conversation deleted, held or withdrawn while the shard was
    # written may have queued its removal before this file existed (the rewrite then found nothing to do).
    gone = set(written) - _still_donated(list(written))
    if gone:
        rewrite_without(key, gone)
        rows -= len(gone)
        size = int(s3().head_object(Bucket=settings.get().bucket, Key=key)["ContentLength"])
    total: Tally[tuple[str, str]] = Tally()
    for cid, added in written.items():
        if cid not in gone:
            total.update(added)
    tally = {name: {value: n for (of, value), n in total.items() if of == name}
             for name in ("source", "model", "license", "scrubbed")}
    return ShardResult(shard, key, rows, size, duplicates, tally)


def _still_donated(ids: list[str]) -> set[str]:
    """Which of these conversations are still donated and not held: consistent BatchGets of their meta items."""
    still: set[str] = set()
    for first in range(0, len(ids), 100):
        for meta in ConversationMeta.batch_get([(cid, keys.META) for cid in ids[first:first + 100]],
                                               consistent_read=True,
                                               attributes_to_get=["id", "part", "kind", "held", "dataset_pk"]):
            if meta.dataset_pk and not meta.held:
                still.add(meta.id)
    return still


def _put(key: str, body: bytes, content_type: str, cache: str = CACHE) -> None:
    s3().put_object(Bucket=settings.get().bucket, Key=key, Body=body, ContentType=content_type, CacheControl=cache)


def _upload(path: str, key: str) -> None:
    # upload_file: a multipart upload past 8 MB, parts in parallel, from the file (never the whole in memory).
    s3().upload_file(path, settings.get().bucket, key,
                     ExtraArgs={"ContentType": "application/vnd.apache.parquet", "CacheControl": CACHE})


# ---------------------------------------------------------------- withdrawal's reach: takedowns, retention

def served_days() -> list[str]:
    """The snapshots in the bucket, oldest first."""
    listing = s3().get_paginator("list_objects_v2").paginate(
        Bucket=settings.get().bucket, Prefix=keys.DATASET_PREFIX, Delimiter="/")
    return sorted(p["Prefix"][len(keys.DATASET_PREFIX):-1] for page in listing for p in page.get("CommonPrefixes", []))


def expire(now: float | None = None) -> list[str]:
    """Delete the snapshots older than the retention; the days deleted."""
    now = time.time() if now is None else now
    oldest = _today(now - settings.get().dataset_retention_days * 86400)
    gone = [day for day in served_days() if day < oldest]
    bucket = settings.get().bucket
    for day in gone:  # a day at a time, so about 17 objects a day: one DeleteObject each
        prefix = f"{keys.DATASET_PREFIX}{day}/"
        for page in s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for found in page.get("Contents", []):
                s3().delete_object(Bucket=bucket, Key=found["Key"])
    return gone


def apply_removals() -> dict[str, int]:
    """Rewrite every served shard that may hold a queued removal (a takedown, a child-safety hold, a delete)
    without it, invalidate those files at the edge, then take the entries done off the queue. One read when
    nothing waits."""
    try:
        queued = set(Counter.get(keys.DATASET_REMOVALS, consistent_read=True).removals or ())
    except Counter.DoesNotExist:
        queued = set()
    if not queued:
        return {"removals": 0, "rewritten": 0, "rows_removed": 0}
    by_shard: dict[int, set[str]] = {}
    for entry in queued:
        number, _, conversation_id = entry.partition("/")
        by_shard.setdefault(int(number), set()).add(conversation_id)
    rewritten, removed, paths = 0, 0, []
    for day in served_days():
        for shard, ids in sorted(by_shard.items()):
            key = keys.dataset_object(day, keys.dataset_shard_name(shard))
            dropped = rewrite_without(key, ids)
            if dropped is not None:
                rewritten += 1
                removed += dropped
                paths.append(f"/{key}")
    if paths:
        cdn.invalidate(paths, "dataset-removals")
    Counter(keys.DATASET_REMOVALS).update(actions=[Counter.removals.delete(queued)])
    return {"removals": len(queued), "rewritten": rewritten, "rows_removed": removed}


def rewrite_without(key: str, ids: set[str]) -> int | None:
    """The shard `key` again without the rows of `ids`, a row group at a time; how many rows went (None: no
    such file). A shard without any of them is left as it is."""
    import pyarrow.compute as pc  # lazy: the dataset layer's
    import pyarrow.parquet as pq

    bucket = settings.get().bucket
    with tempfile.TemporaryDirectory() as folder:
        source, target = os.path.join(folder, "old.parquet"), os.path.join(folder, "new.parquet")
        try:
            s3().download_file(bucket, key, source)
        except Exception as exc:
            if missing_object(exc):
                return None
            raise
        reader = pq.ParquetFile(source)
        drop = list(ids)
        dropped = 0
        with pq.ParquetWriter(target, reader.schema_arrow, compression="zstd") as writer:
            for group in range(reader.num_row_groups):
                table = reader.read_row_group(group)
                keep = pc.invert(pc.is_in(table["id"], value_set=_strings(drop)))
                kept = table.filter(keep)
                dropped += table.num_rows - kept.num_rows
                writer.write_table(kept)
        if dropped:
            _upload(target, key)
    return dropped


def _strings(values: list[str]) -> Any:
    import pyarrow as pa  # lazy: the dataset layer's

    return pa.array(values, pa.string())


# ---------------------------------------------------------------- the dataset card

def card(day: str, rows: int, size: int, tally: dict[str, dict[str, int]]) -> str:
    """README.md of a snapshot: the Hub's YAML header (licenses present, task, size, the Parquet config),
    then what is in it, how it was scrubbed and what scrubbing cannot do, and how to withdraw."""
    import yaml  # lazy: detect-secrets' dependency, only here

    licenses = tally.get("license", {})
    header = {
        "pretty_name": "ShareGPT open dataset",
        "license": [LICENSE_IDS[name] for name in sorted(licenses) if name in LICENSE_IDS] or ["cc0-1.0"],
        "task_categories": ["text-generation"],
        "tags": ["conversational", "chat", "sharegpt"],
        "size_categories": [_size_category(rows)],
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"}]}],
    }
    site = settings.get().site_url
    lines = [
        "---", yaml.safe_dump(header, sort_keys=False).strip(), "---", "",
        f"# ShareGPT open dataset, snapshot of {day}", "",
        f"{rows:,} conversations people shared on {site} and chose to donate, each under the license they "
        f"picked, in {size:,} bytes of Parquet. Every row: `id`, `source` (the assistant's site), `model`, "
        "`created`, `license` (SPDX), `attribution` (the name a CC-BY-4.0 donor asked to be credited as, or "
        "null), `title`, `messages` (each turn's role and typed blocks: text, reasoning, code runs, tool steps "
        "with their links, documents, images and files by name) and `conversations` (ShareGPT's "
        "`from`/`value` turns, human and gpt, as FastChat and Axolotl read them).", "",
        "```python", "import datasets, requests",
        f'files = ["{site}" + f for f in requests.get("{site}/dataset/latest.json").json()["files"]]',
        'ds = datasets.load_dataset("parquet", data_files=files)', "```", "",
        "(That is the latest snapshot; this one's files are `data/train-*.parquet` beside this card, which is "
        "also how the Hub reads the folder.)", "",
        "## Licenses", "",
        *[f"- {name}: {n:,}" for name, n in licenses.items()],
        "", "Each row carries its own license: with CC-BY-4.0, credit the `attribution` (or \"anonymous\").", "",
        "## By assistant and model", "",
        *[f"- {name}: {n:,}" for name, n in tally.get("source", {}).items()],
        "", *[f"- {name}: {n:,}" for name, n in tally.get("model", {}).items()], "",
        "## Scrubbing, and its limits", "",
        "Before publication every text is scrubbed, and what is found becomes a typed placeholder: e-mail "
        "addresses `[EMAIL]`, phone numbers `[PHONE]` (Google's libphonenumber rules), IP addresses `[IP]`, "
        "payment card numbers `[CARD]` (Luhn-checked), secrets and tokens `[SECRET]` (the key formats of "
        "detect-secrets' plugins, and secret query parameters in links). In this snapshot: " +
        (", ".join(f"{name} {n:,}" for name, n in tally.get("scrubbed", {}).items()) or "nothing found") + ".",
        "", "**Names, street addresses and other personal details written in prose are not detected.** Images "
        "are named, never included: a picture cannot be scrubbed. Of near-duplicates (the same first prompt "
        "and answers) the first donated is kept.", "",
        "## Consent and withdrawal", "",
        "A conversation is here only because the person who shared it donated it, after a cooling-off period "
        f"of {settings.get().dataset_cooling_hours:g} hours. Donors can withdraw at any time from the "
        "conversation's page or their list of shares: it is left out of every later snapshot. A conversation "
        "deleted, or removed by the moderators, is also removed from the snapshots still served (within the "
        f"hour); snapshots are deleted after {settings.get().dataset_retention_days} days.", "",
    ]
    return "\n".join(lines)


def _size_category(rows: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if rows < limit:
            return label
    return "10M<n<100M"


def latest() -> dict[str, Any] | None:
    """The manifest of the latest snapshot (None before the first)."""
    try:
        body = s3().get_object(Bucket=settings.get().bucket, Key=keys.DATASET_LATEST)["Body"].read()
    except Exception as exc:
        if missing_object(exc):
            return None
        raise
    found: dict[str, Any] = json.loads(body)
    return found

