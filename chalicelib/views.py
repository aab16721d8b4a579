"""View counts, folded from the CDN's access logs: a reader's view runs none of our code.

An hourly job (`fold`) reads the log files CloudFront delivered since it last ran and adds each
conversation's new views to its `views` (which orders Top), one update per conversation. A view is a GET of
/c/<id> answered 200 or 304, by a client that is not a known bot or link-preview fetcher, counted at most
once per client per conversation per hour (of the request's time), and at most `view_limit` new views per
client per hour. Clients are salted hashes of their addresses, as everywhere else; raw addresses stay in the
log files (private, expired after days) and are never stored.

Exact and resumable. One run at a time (a lease). A run reads the files no run has claimed, counts them
in memory, then writes what it will do as a journal (`views/journal/<batch>.json.gz` and a counters item
naming it): the files, the new views per conversation, and the clients it newly counted per hour. Only then
does it claim the files, add to the hours' records of counted clients (`views/seen/<hour>.json.gz`: an
hour's requests arrive in several files, some late) and add the views, each update marked with the batch
(`fold_batch`), so applying a batch again adds nothing. A run that stops before its journal leaves nothing
(the next one reads the same files); one that stops after leaves the journal, which the next run finishes
first. A deleted conversation's views are dropped (the update requires the conversation), never
recreating it.

Less often than hourly, when asked (`VIEW_APPLY_HOURS` over 1). Each update writes the conversation's index
entries too (`views` orders `top` and is projected in `new`), so one update per conversation-hour is most of
the fold's cost; adding a few hours' views at once makes fewer, larger updates. Runs still read and claim the
files every hour (the reading stays bounded); a batch's views are merged into `views/pending.json.gz` (with the
journals merged in, so a resumed one is merged once), and the first run of each period of that many hours
(UTC) adds them all, as one batch: it marks the pending views as being added, adds them (each update marked
with the pending batch), then drops them. A run that stops while adding leaves them marked, and the next run
finishes them before it merges anything new.
"""
from __future__ import annotations

import gzip
import json
import logging
import re
import secrets
import threading
import time
from collections import Counter as Tally
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, NamedTuple

from . import keys, settings, stage_secrets
from .aws import missing_object, s3
from .cdnlogs import CHUNK, OddFile, Request, parse_stream
from .clientip import ip_hash, network
from .dynamo import failed_condition
from .models import ConversationMeta, Counter

PAGE_RE = re.compile(r"/c/([0-9A-Za-z]{7})")
# Crawlers, link-preview fetchers and monitors: what they fetch is not a person reading.
BOT_RE = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|facebookexternalhit|facebookcatalog|meta-externalagent|embedly|preview|"
    r"quora link|pinterest|vkshare|whatsapp/|slack-imgproxy|mastodon/|bluesky|iframely|pingdom|uptime|"
    r"python-urllib|python-requests|aiohttp|go-http-client|^curl/|^wget/|^-?$", re.IGNORECASE)
# Counting claims outlive the log files (the log bucket expires them after days).
CLAIM_SECONDS = 14 * 86400
# The page is drawn again when its count crosses one of these (10, 20, 50, 100, 200, 500, ...): never per view.
STEPS = tuple(m * 10 ** e for e in range(1, 10) for m in (1, 2, 5))
UPDATE_THREADS = 16
# Updates a second, at most. The `top` and `new` indexes share one partition key (`public`): an update of a
# public conversation's views writes three units there (`top`'s entry deleted and put, `new`'s rewritten),
# and a partition takes 1,000 write units a second. 300 a second is 900 units: an hour of 10 million views a
# day (about 52,000 updates) is folded in three minutes, under the limit (docs/performance.md).
UPDATES_PER_SECOND = 300


class Pace:
    """At most `rate` calls a second across threads: each `wait()` takes the next slot (a clock and a sleep
    that tests may replace)."""

    def __init__(self, rate: float, clock: Any = time.monotonic, sleep: Any = time.sleep) -> None:
        self.interval, self.clock, self.sleep = 1.0 / rate, clock, sleep
        self.lock = threading.Lock()
        self.next = clock()

    def wait(self) -> None:
        with self.lock:
            now = self.clock()
            slot = max(self.next, now)
            self.next = slot + self.interval
        if slot > now:
            self.sleep(slot - now)
_log = logging.getLogger(__name__)


def is_bot(user_agent: str) -> bool:
    """Whether a user agent is a crawler, a link-preview fetcher or a script, not a reader."""
    return bool(BOT_RE.search(user_agent.strip()))


def crossed_step(before: int, after: int, steps: tuple[int, ...] = STEPS) -> bool:
    """Whether a count went past a 1-2-5 step, up or down (the printed count is worth drawing again)."""
    low, high = sorted((before, after))
    return any(low < step <= high for step in steps)


class Folded(NamedTuple):
    counts: dict[str, int]  # {"files", "lines", "views" (counted), "conversations" (updated), "dropped" (deleted)}
    crossed: list[str]  # the conversations whose count crossed a step: their pages are worth drawing again


def fold(now: float | None = None) -> Folded:
    """Fold the log files not yet counted into the conversations' views; returns what it did.

    One run at a time (a lease): the hour's record of who was counted is read, added to and written back
    whole, so two runs at once would each miss the other's clients and count them again. A run that finds
    the lease held does nothing (`"busy": 1`); the next scheduled run picks up what is left.
    """
    cfg = settings.get()
    clock = time.time() if now is None else now
    lease = _take_lease()
    if lease is None:
        return Folded({"files": 0, "lines": 0, "views": 0, "conversations": 0, "dropped": 0, "set_aside": 0,
                       "busy": 1, "resumed": 0, "waiting": 0}, [])
    try:
        # The order keeps each update's batch mark meaningful: an adding begun earlier is finished before any
        # batch touches a conversation, and views left pending are added only once this run's batch (or a
        # resumed one) is done, never between a journal's updates.
        begun = _finish_begun()
        resumed = _resume(clock)
        files = _unclaimed(_log_files())
        set_aside: list[str] = []
        failed: list[str] = []
        read: list[str] = []
        requests = _within_budget(files, cfg.log_bucket, set_aside, failed, read)
        counts, lines, added = _count(requests)
        batch = Journal(secrets.token_hex(8), [f for f in read if f not in failed], dict(counts),
                        {hour: sorted(entries) for hour, entries in added.items()})
        outcome = _commit(batch, clock)
        due, waiting = _apply_due(clock)
        updated, dropped, crossed = _plus(_plus(begun, outcome), due)
    finally:
        _release_lease(lease)
    # This run's views; when they are added at once, less those of conversations deleted since.
    counted = sum(counts.values()) - (0 if _deferring() else outcome[1][1])
    return Folded({"files": len(batch.files), "lines": lines, "views": counted,
                   "conversations": updated, "dropped": dropped[0], "set_aside": len(set_aside), "busy": 0,
                   "resumed": resumed, "waiting": waiting}, sorted(set(crossed)))


Applied = tuple[int, tuple[int, int], list[str]]  # (conversations updated, (deleted ones, their views), crossed)
NOTHING_APPLIED: Applied = (0, (0, 0), [])


def _plus(first: Applied, second: Applied) -> Applied:
    return (first[0] + second[0], (first[1][0] + second[1][0], first[1][1] + second[1][1]), first[2] + second[2])


# A run reads files for at most this long, then journals and applies what it read: the rest waits for the
# next run, so a big backlog is folded over several runs, each inside the Lambda's 900 s, rather than by
# runs that time out before their journal and start over. (The updates after it take a few minutes at most.)
READ_SECONDS = 480.0


def _within_budget(files: list[str], bucket: str, set_aside: list[str], failed: list[str],
                   read: list[str]) -> Iterator[Request]:
    """The requests of `files` in order, stopping before a file once READ_SECONDS have gone (after the first):
    `read` names the files begun (a file begun is read to its end)."""
    started = time.monotonic()
    for key in files:
        if read and time.monotonic() - started > READ_SECONDS:  # the first file is always read
            return
        read.append(key)
        yield from _read(bucket, key, set_aside, failed)


class Journal(NamedTuple):
    """What one batch of the fold will do, written before any of it is: its files (to claim), the new views
    per conversation, and the clients newly counted per hour."""
    batch: str
    files: list[str]
    counts: dict[str, int]
    seen: dict[int, list[str]]


def _journal_key(batch: str) -> str:
    return f"views/journal/{batch}.json.gz"


def _commit(journal: Journal, clock: float) -> Applied:
    """Write the journal (the point past which the batch will be done), then do it."""
    if not journal.files:
        return NOTHING_APPLIED
    s3().put_object(Bucket=settings.get().bucket, Key=_journal_key(journal.batch),
                    Body=gzip.compress(json.dumps(journal._asdict()).encode(), mtime=0),
                    ContentType="application/json", ContentEncoding="gzip")
    Counter(keys.FOLD_JOURNAL, state=journal.batch).save()
    return _finish(journal, clock)


def _finish(journal: Journal, clock: float) -> Applied:
    """Claim the batch's files, add its clients to the hours' records and its views to the conversations (or
    to the pending views, when they are added less often), then drop the journal. Every step may run twice (a
    resumed batch): claims are puts, records are unions, an update marked with the batch adds nothing the
    second time, and the pending views name the journals merged in."""
    expires = datetime.fromtimestamp(time.time() + CLAIM_SECONDS, tz=timezone.utc)
    with Counter.batch_write() as claims:
        for key in journal.files:
            claims.save(Counter(keys.log_claim(key), expires=expires))
    for hour, entries in journal.seen.items():
        _store_seen(int(hour), _load_seen(int(hour)) | set(entries))
    outcome = _defer(journal, clock) if _deferring() else _apply(Tally(journal.counts), journal.batch)
    Counter(keys.FOLD_JOURNAL).delete()
    s3().delete_object(Bucket=settings.get().bucket, Key=_journal_key(journal.batch))
    return outcome


def _resume(clock: float) -> int:
    """Finish the batch a run journaled and did not finish (it stopped, or failed an AWS call): 1 if there
    was one."""
    try:
        pointer = Counter.get(keys.FOLD_JOURNAL, consistent_read=True)
    except Counter.DoesNotExist:
        return 0
    try:
        data = json.loads(gzip.decompress(s3().get_object(Bucket=settings.get().bucket,
                                                          Key=_journal_key(str(pointer.state)))["Body"].read()))
    except Exception as exc:
        if not missing_object(exc):
            raise  # S3 failed: the journal stays for the next run
        # Finished already but for the pointer (the object goes last): nothing left to do.
        Counter(keys.FOLD_JOURNAL).delete()
        return 0
    _finish(Journal(data["batch"], data["files"], data["counts"], {int(h): e for h, e in data["seen"].items()}),
            clock)
    return 1


class Pending(NamedTuple):
    """Views counted and not yet added (VIEW_APPLY_HOURS over 1): the batch that will add them, the period
    they were first counted in, the journals merged in, and whether adding them has begun (then they take
    nothing more)."""
    batch: str
    period: int
    merged: list[str]
    counts: dict[str, int]
    applying: bool


PENDING_KEY = "views/pending.json.gz"


def _deferring() -> bool:
    return settings.get().view_apply_hours > 1


def _period(clock: float) -> int:
    return int(clock // (max(1, settings.get().view_apply_hours) * 3600))


def _load_pending() -> Pending | None:
    try:
        data = s3().get_object(Bucket=settings.get().bucket, Key=PENDING_KEY)["Body"].read()
    except Exception as exc:
        if missing_object(exc):
            return None
        raise
    return Pending(**json.loads(gzip.decompress(data)))


def _store_pending(pending: Pending) -> None:
    s3().put_object(Bucket=settings.get().bucket, Key=PENDING_KEY,
                    Body=gzip.compress(json.dumps(pending._asdict()).encode(), mtime=0),
                    ContentType="application/json", ContentEncoding="gzip")


def _finish_begun() -> Applied:
    """Finish adding pending views a run began to add and did not finish, before any other batch touches a
    conversation (an update adds nothing twice only while its conversation's last batch is this one)."""
    pending = _load_pending()
    return _add_pending(pending) if pending is not None and pending.applying else NOTHING_APPLIED


def _defer(journal: Journal, clock: float) -> Applied:
    """Merge a batch's views into the pending ones, once (pending views whose adding has begun take nothing
    more: they are added first)."""
    pending = _load_pending()
    outcome = NOTHING_APPLIED
    if pending is not None and pending.applying:
        outcome = _add_pending(pending)
        pending = None
    if pending is None:
        pending = Pending(secrets.token_hex(8), _period(clock), [], {}, False)
    if journal.batch not in pending.merged:
        counts = Tally(pending.counts)
        counts.update(journal.counts)
        _store_pending(pending._replace(merged=[*pending.merged, journal.batch], counts=dict(counts)))
    return outcome


def _apply_due(clock: float) -> tuple[Applied, int]:
    """Add the pending views if their period is over (or their adding had begun, or they are added hourly
    again); returns what was added and how many conversations' views still wait."""
    pending = _load_pending()
    if pending is None:
        return NOTHING_APPLIED, 0
    if not pending.applying and _deferring() and _period(clock) == pending.period:
        return NOTHING_APPLIED, len(pending.counts)
    return _add_pending(pending), 0


def _add_pending(pending: Pending) -> Applied:
    """Mark the pending views as being added, add them (as one batch: a resumed adding adds each once), then
    drop them."""
    if not pending.applying:
        pending = pending._replace(applying=True)
        _store_pending(pending)
    outcome = _apply(Tally(pending.counts), pending.batch)
    s3().delete_object(Bucket=settings.get().bucket, Key=PENDING_KEY)
    return outcome


# Longer than the fold's Lambda timeout (900 s): a run that died leaves a lease that lapses on its own.
LEASE_SECONDS = 20 * 60


def _take_lease() -> int | None:
    """This run's lease (a token), or None while another run holds an unexpired one."""
    from pynamodb.exceptions import PutError

    token = secrets.randbelow(2**53)
    now = time.time()
    expires = datetime.fromtimestamp(now + LEASE_SECONDS, tz=timezone.utc)
    try:
        Counter(keys.FOLD_LEASE, n=token, expires=expires).save(
            condition=Counter.key.does_not_exist() | (Counter.expires < datetime.fromtimestamp(now, tz=timezone.utc)))
    except PutError as exc:
        if failed_condition(exc):
            return None
        raise
    return token


def _release_lease(token: int) -> None:
    from pynamodb.exceptions import DeleteError

    try:
        Counter(keys.FOLD_LEASE).delete(condition=Counter.n == token)
    except DeleteError:  # lapsed and taken by another run, or the call failed: it lapses on its own
        _log.warning("The fold's lease was not released", exc_info=True)


def _log_files() -> list[str]:
    cfg = settings.get()
    found: list[str] = []
    for listing in s3().get_paginator("list_objects_v2").paginate(Bucket=cfg.log_bucket, Prefix=cfg.log_prefix):
        found += [obj["Key"] for obj in listing.get("Contents", []) if not obj["Key"].endswith("/")]
    return found


def _unclaimed(files: list[str]) -> list[str]:
    """The files no run has counted yet: their claims read in batches of 100 (the lease makes this run the
    only one; the batch claims its files once its journal is written)."""
    done: set[str] = set()
    for start in range(0, len(files), 100):
        batch = [keys.log_claim(key) for key in files[start:start + 100]]
        done |= {item.key for item in Counter.batch_get(batch, attributes_to_get=["key"])}
    return [key for key in files if keys.log_claim(key) not in done]


def _read(bucket: str, key: str, set_aside: list[str], failed: list[str]) -> Iterator[Request]:
    """The file's requests, streamed from S3 (any size, in bounded memory). A file that stops being readable
    (a bad gzip stream, thousands of members...) is set aside with a log line, its readable lines counted;
    one S3 could not hand over is left unclaimed, for the next run. Neither stops the run."""
    try:
        body = s3().get_object(Bucket=bucket, Key=key)["Body"]
    except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop the others
        _log.warning("Log file %s could not be read", key, exc_info=True)
        if not missing_object(exc):  # S3 failed, the file is there: the next run reads it
            failed.append(key)
        return
    try:
        yield from parse_stream(body.iter_chunks(CHUNK))
    except OddFile as exc:
        _log.warning("Log file %s set aside: %s", key, exc)
        set_aside.append(key)
    except Exception:  # noqa: BLE001 - S3's stream broke off: its lines so far are counted, the file stays claimed
        _log.warning("Log file %s could not be read to its end", key, exc_info=True)
        set_aside.append(key)


def _count(requests: Iterable[Request]) -> tuple[Tally[str], int, dict[int, set[str]]]:
    """New views per conversation, how many log lines were read, and the clients newly counted per hour."""
    cfg = settings.get()
    salt = stage_secrets.ip_hash_salt()
    hour_of = cfg.view_dedup_seconds
    seen: dict[int, set[str]] = {}
    added: dict[int, set[str]] = {}
    per_client: dict[int, Tally[str]] = {}
    counts: Tally[str] = Tally()
    lines = 0
    for request in requests:
        lines += 1
        page = PAGE_RE.fullmatch(request.path)
        if page is None or request.method != "GET" or request.status not in (200, 304) or is_bot(request.user_agent):
            continue
        hour = int(request.when // hour_of)
        if hour not in seen:
            seen[hour], added[hour] = _load_seen(hour), set()
            per_client[hour] = Tally(entry.split(" ", 1)[0] for entry in seen[hour])
        # An IPv6 /64 is one client: its owner rotates through its addresses at will.
        client = ip_hash(network(request.ip), salt)
        entry = f"{client} {page.group(1)}"
        if entry in seen[hour] or per_client[hour][client] >= cfg.view_limit:
            continue
        seen[hour].add(entry)
        added[hour].add(entry)
        per_client[hour][client] += 1
        counts[page.group(1)] += 1
    return counts, lines, {hour: entries for hour, entries in added.items() if entries}


def _seen_key(hour: int) -> str:
    return f"views/seen/{hour}.json.gz"


def _load_seen(hour: int) -> set[str]:
    try:
        data = s3().get_object(Bucket=settings.get().bucket, Key=_seen_key(hour))["Body"].read()
    except Exception as exc:
        if missing_object(exc):  # no one counted in this hour yet
            return set()
        raise
    return set(json.loads(gzip.decompress(data)))


def _store_seen(hour: int, entries: set[str]) -> None:
    s3().put_object(Bucket=settings.get().bucket, Key=_seen_key(hour),
                    Body=gzip.compress(json.dumps(sorted(entries)).encode(), mtime=0),
                    ContentType="application/json", ContentEncoding="gzip")


def _apply(counts: Tally[str], batch: str) -> Applied:
    """One conditional update per conversation, 16 at a time (DynamoDB has no batched update, and
    BatchWriteItem replaces items without a condition). Returns (conversations updated, (deleted ones, their
    views), the conversations whose count crossed a step)."""
    if not counts:
        return NOTHING_APPLIED
    pace = Pace(UPDATES_PER_SECOND)

    def add(item: tuple[str, int]) -> int | None:
        pace.wait()
        return _add_views(item, batch)

    with ThreadPoolExecutor(max_workers=min(UPDATE_THREADS, len(counts))) as pool:
        outcomes = list(pool.map(add, counts.items()))
    dropped = [(cid, n) for (cid, n), after in zip(counts.items(), outcomes, strict=True) if after is None]
    crossed = [cid for (cid, n), after in zip(counts.items(), outcomes, strict=True)
               if after is not None and crossed_step(after - n, after)]
    return len(counts) - len(dropped), (len(dropped), sum(n for _, n in dropped)), crossed


def _add_views(item: tuple[str, int], batch: str) -> int | None:
    """Add `n` views to a conversation that still exists, once for this batch; its count after the batch,
    or None if it is gone."""
    from pynamodb.exceptions import UpdateError

    conversation_id, n = item
    meta = ConversationMeta(conversation_id, keys.META)
    try:
        meta.update(actions=[ConversationMeta.views.add(n), ConversationMeta.fold_batch.set(batch)],
                    condition=ConversationMeta.part.exists() & (ConversationMeta.fold_batch.does_not_exist()
                                                                | (ConversationMeta.fold_batch != batch)))
    except UpdateError as exc:
        if not failed_condition(exc):
            raise
        try:  # gone, or this batch's views are in already (a resumed batch)
            found = ConversationMeta.get(conversation_id, keys.META, consistent_read=True,
                                         attributes_to_get=["views", "fold_batch"])
        except ConversationMeta.DoesNotExist:
            return None
        return int(found.views or 0)
    return int(meta.views or 0)


def summary(result: dict[str, Any]) -> str:
    return ", ".join(f"{value} {name}" for name, value in result.items())
