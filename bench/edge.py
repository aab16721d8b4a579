"""Pages at the edge, measured: what a reader's view costs us, what folding the CDN's logs costs, and the cost
model per million page views with its assumptions printed beside it."""
from __future__ import annotations

import gzip
import json
import math
import random
import time
from typing import Any

from bench.ledger import recording

# CloudFront (US/Europe, December 2024 list prices): HTTPS requests and data transfer out, first 10 TB.
CF_PER_REQUEST = 0.0100 / 10_000
CF_PER_GB = 0.085
# Standard logging v2 to S3: CloudWatch vended-log delivery, per GB of log data (first 10 TB).
LOG_DELIVERY_PER_GB = 0.25
# What a response's headers add on the wire (the CSP, cache and security headers; HTTP/2 compresses little
# of them on a first response).
HEADER_BYTES = 700
WRU_PRICE = 0.625 / 1_000_000
S3_GET = 0.0004 / 1000
# Assumptions of the traffic mix.
EDGE_HIT_RATIO = 0.90  # /c/* answered from the edge cache (s-maxage 300 s; popular pages)
FIRST_VISITS = 0.25  # views by a browser that does not hold our static files yet (immutable, a year)
VIEWS_PER_FOLDED_UPDATE = 8  # counted views per conversation-hour: one update each (Zipf traffic, measured below)
SHORT_LINK_ARRIVALS = 0.5  # views that come through the short link (shared links are short): a 301 first
CF_FUNCTION_PER_RUN = 0.10 / 1_000_000  # CloudFront Functions, per invocation
REDIRECT_BYTES = 350  # a 301 with its headers
# The scale, and CloudFront's always-free allowance a month (per account, shared with everything else
# it serves): what the bill's average would be, beside the marginal price the goal is about.
VIEWS_A_DAY = 10_000_000
CF_FREE_REQUESTS = 10_000_000
CF_FREE_GB = 1_000
# CloudFront's Security Savings Bundle: self-service, a monthly CloudFront spend committed for a year, billed
# whether used or not, buys credits worth 1/0.7 of it: 30% off the usage it covers (requests and data
# transfer out; the model leaves CloudFront Functions, logs and DynamoDB at list price).
BUNDLE_DISCOUNT = 0.30
# A create's compute (us-east-1 list prices): Lambda x86 per GB-second and per request, API Gateway REST.
LAMBDA_GB_SECOND = 0.0000166667
LAMBDA_REQUEST = 0.20 / 1_000_000
LAMBDA_GB = 0.5  # the API function's memory (.chalice/config.json: 512 MB)
API_GATEWAY_REQUEST = 3.50 / 1_000_000
# What a first visit fetches besides the page: the script. The stylesheet is inline (its bytes are in the
# page's) and the icon a data: URI in the page, so browsers do not ask /favicon.ico.
STATIC = ("app.js",)
# Link-preview cards are drawn on the edge's misses: a link unfurled in a chat app or a social site is fetched
# once by each (they keep their own copy), and at most once per edge location every five minutes.
CARD_MISSES_PER_CREATE = 2.0
CARD_MEASURED: dict[str, float] = {}


def log_line_bytes() -> int:
    """A page view's line as the stack's delivery writes it (its pinned fields, CloudFront's values: an edge
    location, a desktop Chrome's user agent URL-encoded, the site's host), with its tab and newline."""
    from chalicelib import cdnlogs

    row = cdnlogs.log_row(time.time(), "203.0.113.77", "GET", "/c/AbC1234", 200,
                          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                          "Chrome/131.0.0.0 Safari/537.36", 12_182, "sharegpt.example.com")
    row |= {"x-edge-location": "IAD89-P1", "x-edge-result-type": "Hit"}
    return len("\t".join(row[name] for name in cdnlogs.DELIVERED_FIELDS)) + 1


def edge_ledger(client: Any, conversation_id: str, line: Any) -> None:
    """Rows of the call ledger for a reader's view: at the edge, on an edge miss, and the fallback."""
    from chalicelib import published

    line("page view, edge hit (CloudFront cache)", _nothing())
    with recording() as ledger:
        published.read(conversation_id)  # what CloudFront's origin request to the bucket is
    line("page view, edge miss (CloudFront reads pages/c/<id>)", ledger.summary())
    from chalicelib.aws import s3
    from chalicelib.settings import get

    s3().delete_object(Bucket=get().bucket, Key=f"pages/c/{conversation_id}")
    with recording() as ledger:
        client.http.get(f"/c/{conversation_id}")
    line("page view, not yet published (fallback: Lambda draws and publishes)", ledger.summary())


def _nothing() -> dict[str, Any]:
    return {"calls": 0, "ops": "none (no Lambda, no DynamoDB)", "bytes": 0, "rru": 0, "wru": 0, "index_wru": 0,
            "usd_per_million": 0.0}


def put_log(rows: list[str], when: float) -> None:
    """One W3C log file (CloudFront's fields line and tab-separated rows) under cdn-logs/."""
    from chalicelib import cdnlogs
    from chalicelib.aws import s3
    from chalicelib.settings import get

    body = "#Version: 1.0\n#Fields: " + " ".join(cdnlogs.FIELDS) + "\n" + "".join(r + "\n" for r in rows)
    stamp = time.strftime("%Y-%m-%d-%H", time.gmtime(when))
    s3().put_object(Bucket=get().log_bucket, Key=f"{get().log_prefix}EBENCH.{stamp}.{random.getrandbits(48):x}.gz",
                    Body=gzip.compress(body.encode()))


def log_rows(views: list[tuple[str, str]], when: float) -> list[str]:
    """W3C rows (CloudFront's field order) for (conversation id, client address) views, spread over an hour."""
    from chalicelib import cdnlogs

    agent = "Mozilla/5.0%20(X11;%20Linux%20x86_64)%20AppleWebKit/537.36%20Chrome/131.0%20Safari/537.36"
    rows = []
    for index, (cid, ip) in enumerate(views):
        row = cdnlogs.log_row(when + index * 3600 / max(len(views), 1), ip, "GET", f"/c/{cid}", 200, "", 9000)
        row["cs(User-Agent)"] = agent
        rows.append("\t".join(row.get(name, "-") or "-" for name in cdnlogs.FIELDS))
    return rows


def deferred_fold_ledger(ids: list[str], line: Any, rng: random.Random, hours: int = 4) -> None:
    """`hours` hourly runs of 1,000 views each (Zipf over `ids`) with VIEW_APPLY_HOURS=`hours`, then the next
    period's run that adds them: its updates and write units, beside what hourly updates would have made."""
    import os

    from chalicelib import settings, views

    period = hours * 3600
    start = (time.time() // period - 3) * period
    os.environ["VIEW_APPLY_HOURS"] = str(hours)
    settings.get.cache_clear()
    try:
        distinct = 0
        with recording() as ledger:
            for hour in range(hours):
                chosen = zipf_views(ids, 1000, rng)
                distinct += len({cid for cid, _ in chosen})
                put_log(log_rows(chosen, start + hour * 3600), start + hour * 3600)
                views.fold(start + hour * 3600 + 1800)
            added = views.fold(start + period + 60).counts
    finally:
        del os.environ["VIEW_APPLY_HOURS"]
        settings.get.cache_clear()
    line(f"fold, views added every {hours} hours: {hours} hourly runs of 1,000 views over {len(ids)} "
         f"conversations, then the adding run ({added['conversations']} updates, where hourly runs would have "
         f"made {distinct})", ledger.summary())


def zipf_views(ids: list[str], n: int, rng: random.Random, s: float = 1.1) -> list[tuple[str, str]]:
    """`n` views over `ids` with Zipf popularity (a few conversations get most), from ~n/3 distinct clients."""
    weights = [1 / (rank + 1) ** s for rank in range(len(ids))]
    chosen = rng.choices(ids, weights=weights, k=n)
    return [(cid, f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}") for cid in chosen]


def fold_ledger(ids: list[str], line: Any, rng: random.Random) -> dict[str, Any]:
    """The fold of 1,000 views (Zipf over `ids`) in one file: calls and write units per 1,000 counted views."""
    from chalicelib import views

    hour = time.time() // 3600 * 3600 - 7200
    put_log(log_rows(zipf_views(ids, 1000, rng), hour), hour)
    with recording() as ledger:
        result = views.fold().counts
    summary = ledger.summary()
    line(f"fold: 1 log file, 1,000 views over {len(ids)} conversations ({result['views']} counted, "
         f"{result['conversations']} updates)", summary)
    return {**summary, **result}


def page_bytes(client: Any, conversation_id: str) -> int:
    """The published page as CloudFront sends it compressed (gzip; brotli is a little smaller)."""
    html = client.http.get(f"/c/{conversation_id}").body
    return len(gzip.compress(html if isinstance(html, bytes) else html.encode(), 6))


def static_bytes() -> int:
    from chalicelib import pages, sitefiles

    def body(name: str) -> bytes:
        found = pages.static_file(name)
        return found[0] if found else sitefiles.files()[name].body

    return sum(len(gzip.compress(body(name), 6)) for name in STATIC)


def cost_model(client: Any, conversation_id: str, fold: dict[str, Any],
               other_sizes: dict[int, str] | None = None) -> float:
    """Dollars per million page views, printed with every assumption; returns the page and its counting.
    `other_sizes` (conversation bytes: its id) add the all-in figure across sizes and short-link shares."""
    from chalicelib import cdnlogs

    line_bytes = log_line_bytes()
    page = page_bytes(client, conversation_id) + HEADER_BYTES
    # What one update of the fold costs all in: the table's write, the indexes `views` is in (a key of `top`:
    # a delete and a put there), and the run's own claim and lease writes, shared out.
    per_update = fold["wru"] / max(1, fold["conversations"])
    static = static_bytes() + HEADER_BYTES * len(STATIC)
    million = 1_000_000

    def priced(page: int, short_share: float) -> list[tuple[str, float]]:
        return [
            ("page requests at the edge", million * CF_PER_REQUEST),
            (f"page bytes ({page:,} B on the wire: a 10 KB conversation, gzip, with headers; the stylesheet and "
             "the icon inline)", million * page / 1e9 * CF_PER_GB),
            (f"edge misses ({1 - EDGE_HIT_RATIO:.0%}): one S3 GET each", million * (1 - EDGE_HIT_RATIO) * S3_GET),
            (f"static files on first visits ({FIRST_VISITS:.0%} of views; {len(STATIC)} file, the script: "
             f"{static:,} B)", million * FIRST_VISITS * (len(STATIC) * CF_PER_REQUEST + static / 1e9 * CF_PER_GB)),
            (f"log delivery (a {line_bytes} B line per request, its {len(cdnlogs.DELIVERED_FIELDS)} pinned fields; "
             f"{1 + FIRST_VISITS * len(STATIC):.1f} requests per view)",
             million * (1 + FIRST_VISITS * len(STATIC)) * line_bytes / 1e9 * LOG_DELIVERY_PER_GB),
            (f"fold writes (one update per conversation-hour, ~{VIEWS_PER_FOLDED_UPDATE} views each; "
             f"{per_update:.1f} WRU an update all in, its indexes' writes included, as measured: "
             f"{fold['wru']:g} WRU, {fold['index_wru']:g} of them index writes, for {fold['conversations']} updates)",
             million / VIEWS_PER_FOLDED_UPDATE * per_update * WRU_PRICE),
            ("fold reads (log files: one S3 GET per ~5 MB file, claims: BatchGet) and its hourly Lambda", 0.01),
            (f"short-link arrivals ({short_share:.0%} of views): the 301 from the CloudFront Function at the "
             f"edge (a request, a function run, {REDIRECT_BYTES} B and a log line; no Lambda)",
             million * short_share * (CF_PER_REQUEST + CF_FUNCTION_PER_RUN + REDIRECT_BYTES / 1e9 * CF_PER_GB
                                      + line_bytes / 1e9 * LOG_DELIVERY_PER_GB)),
            ("Lambda, API Gateway, DynamoDB for an anonymous view", 0.0),
        ]

    def covered(page: int, short_share: float) -> float:
        """What of `priced` is CloudFront requests and bytes out: what the savings bundle takes 30% off."""
        return million * (CF_PER_REQUEST + page / 1e9 * CF_PER_GB
                          + FIRST_VISITS * (len(STATIC) * CF_PER_REQUEST + static / 1e9 * CF_PER_GB)
                          + short_share * (CF_PER_REQUEST + REDIRECT_BYTES / 1e9 * CF_PER_GB))

    def bundled(page: int, short_share: float) -> float:
        return sum(cost for _, cost in priced(page, short_share)) - BUNDLE_DISCOUNT * covered(page, short_share)

    rows = priced(page, SHORT_LINK_ARRIVALS)
    total = sum(cost for _, cost in rows)
    static_share = FIRST_VISITS * len(STATIC) / (1 + FIRST_VISITS * len(STATIC))  # of the log lines
    short_links = next(cost for name, cost in rows if name.startswith("short-link arrivals"))
    page_and_counting = total - rows[3][1] - rows[4][1] * static_share - short_links
    print("\n## Cost per million page views (anonymous readers; list prices, us-east-1 / CloudFront US+EU)\n")
    print("| part | $ per million views |")
    print("|---|---|")
    for name, cost in rows:
        print(f"| {name} | {cost:.2f} |")
    print(f"| **the page and its counting** (all but the static file, its log lines and the short links) | "
          f"**{page_and_counting:.2f}** |")
    print(f"| **all in: with the first-visit static file and short-link arrivals** | **{total:.2f}** |")
    print(f"\nAssumptions: edge hit ratio {EDGE_HIT_RATIO:.0%}; {FIRST_VISITS:.0%} of views from a browser without "
          f"our static files cached; CloudFront ${CF_PER_REQUEST * 10_000:.4f} per 10,000 HTTPS requests and "
          f"${CF_PER_GB}/GB out; vended-log delivery ${LOG_DELIVERY_PER_GB}/GB; DynamoDB on-demand "
          f"${WRU_PRICE * 1e6:.3f} per million WRU. At 50% first visits the total would be "
          f"{total + million * 0.25 * (len(STATIC) * CF_PER_REQUEST + static / 1e9 * CF_PER_GB):.2f}; "
          "each static file is a request ($1.00 per million) before it is bytes.")
    month = VIEWS_A_DAY * 30
    requests = month * (1 + FIRST_VISITS * len(STATIC) + SHORT_LINK_ARRIVALS)
    gigabytes = month * (page + FIRST_VISITS * static + SHORT_LINK_ARRIVALS * REDIRECT_BYTES) / 1e9
    free = min(requests, CF_FREE_REQUESTS) * CF_PER_REQUEST + min(gigabytes, CF_FREE_GB) * CF_PER_GB
    print(f"\nAt {VIEWS_A_DAY / 1e6:.0f} million views a day ({requests / 1e6:,.0f} million CloudFront requests and "
          f"{gigabytes / 1000:.1f} TB a month), CloudFront's always-free allowance ({CF_FREE_REQUESTS / 1e6:.0f} "
          f"million requests and {CF_FREE_GB / 1000:.0f} TB a month, per account) takes ${free:,.0f} a month off: "
          f"${free / (month / million):.2f} per million views on the bill's average (all in: "
          f"${total - free / (month / million):.2f}), if nothing else the account serves uses it. The figures "
          "above are the marginal price, the one the goal is about.")
    commitment = covered(page, SHORT_LINK_ARRIVALS) * (1 - BUNDLE_DISCOUNT) * month / million
    print(f"\nWith CloudFront's Security Savings Bundle (self-service: a monthly CloudFront spend committed for a "
          f"year, {BUNDLE_DISCOUNT:.0%} off the requests and bytes it covers): "
          f"**${bundled(page, SHORT_LINK_ARRIVALS):.2f}** per million views all in. At "
          f"{VIEWS_A_DAY / 1e6:.0f} million views a day that is a commitment of about ${commitment:,.0f} a month "
          "for a year, billed whether the views come or not: a choice for a site at that scale, not a default.")
    fold_row = next(cost for name, cost in rows if name.startswith("fold writes"))
    hourly = updates_per_view(1)
    later = ", ".join(f"every {hours} hours ${fold_row * updates_per_view(hours) / hourly:.2f}" for hours in (2, 4, 6))
    print(f"\nThe fold's writes with views added less often than hourly (`VIEW_APPLY_HOURS`: fewer updates, more "
          f"views each; Zipf over 100,000 conversations at {VIEWS_A_DAY / 1e6:.0f} million views a day, scaling "
          f"the measured ${fold_row:.2f}): {later}; Top's order and the counts are then up to that many hours "
          "old.")
    four = bundled(page, SHORT_LINK_ARRIVALS) - fold_row * (1 - updates_per_view(4) / hourly)
    print(f"\nWith the savings bundle and views added every 4 hours (`VIEW_APPLY_HOURS=4`): **${four:.2f}** per "
          "million views all in.")
    if other_sizes:
        sizes = {10_000: page, **{n: page_bytes(client, cid) + HEADER_BYTES for n, cid in other_sizes.items()}}
        shares = (0.0, 0.25, SHORT_LINK_ARRIVALS)
        print("\nAll in, by the conversation's size and the share of views that arrive through the short link "
              "(everything else as above), at list prices / with the savings bundle:\n")
        heads = " | ".join(f"{share:.0%} short-link arrivals" for share in shares)
        print(f"| conversation | page on the wire | {heads} |")
        print("|---|---|" + "---|" * len(shares))
        for n in sorted(sizes):
            cells = [f"{sum(cost for _, cost in priced(sizes[n], share)):.2f} / {bundled(sizes[n], share):.2f}"
                     for share in shares]
            print(f"| {n / 1000:g} KB | {sizes[n]:,} B | " + " | ".join(cells) + " |")
    return page_and_counting


def updates_per_view(hours: float, conversations: int = 100_000, views_an_hour: int = 420_000,
                     s: float = 1.1) -> float:
    """Conversation updates per view when the fold applies `hours` of views at once: Zipf popularity over
    `conversations`; the expected number of distinct conversations among a window's views, per view."""
    weights = [1 / (rank + 1) ** s for rank in range(conversations)]
    total = sum(weights)
    n = views_an_hour * hours
    return sum(1 - math.exp(-n * w / total) for w in weights) / n


def card_miss(client: Any, conversation_id: str, line: Any, n: int = 15) -> float:
    """A link-preview card drawn on an edge miss (never stored): its AWS calls (a ledger row) and its Lambda
    time here; returns dollars per million misses."""
    path = "/" + json.loads(client.http.get(f"/api/conversations/{conversation_id}").body)["card"].split("/", 3)[3]
    with recording() as ledger:
        png = client.http.get(path, headers={"accept": "*/*"}).body
    summary = ledger.summary()
    line(f"GET card (an edge miss: drawn, {len(png):,} B of PNG, not stored)", summary)
    timings = []
    for _ in range(n):
        started = time.perf_counter()
        client.http.get(path, headers={"accept": "*/*"})
        timings.append(time.perf_counter() - started)
    seconds = sorted(timings)[len(timings) // 2]
    CARD_MEASURED.update(ms=seconds * 1000, bytes=len(png))
    return float(summary["usd_per_million"]) + 1_000_000 * (seconds * LAMBDA_GB * LAMBDA_GB_SECOND + LAMBDA_REQUEST)


def create_cost(post: Any, rng: random.Random, make_conversation: Any, ledger_usd: float, n: int = 30,
                unlisted_usd: float | None = None, card_usd: float = 0.0) -> float:
    """Dollars per million creates (a public 10 KB conversation), line by line: the AWS calls the ledger
    measured (index writes included), the Lambda time measured here in-process, API Gateway and CloudFront."""
    timings = []
    for _ in range(n):
        body = make_conversation(10_000, rng, visibility="public")
        started = time.perf_counter()
        post(body)
        timings.append(time.perf_counter() - started)
    seconds = sorted(timings)[len(timings) // 2]
    million = 1_000_000
    request_bytes = 12_000  # a 10 KB conversation's JSON, with headers
    rows = [
        ("DynamoDB and S3 (the call ledger's public create: transaction, search entries, counters, its index "
         "writes, the page)", ledger_usd),
        (f"Lambda ({seconds * 1000:.0f} ms median here, {LAMBDA_GB:g} GB; and its request)",
         million * (seconds * LAMBDA_GB * LAMBDA_GB_SECOND + LAMBDA_REQUEST)),
        ("API Gateway: none (CloudFront sends /api/conversations to the share function's URL, which has no "
         "price of its own)", 0.0),
        ("CloudFront (the request and about 12 KB in; the answer is small)",
         million * (CF_PER_REQUEST + request_bytes / 1e9 * 0.02)),
        (f"its link-preview card, drawn on the edge's misses and never stored ({CARD_MISSES_PER_CREATE:g} misses "
         f"a create assumed; each {CARD_MEASURED.get('ms', 0):.0f} ms of Lambda here, a consistent Query and "
         "GetItem, through the cards function's URL)", CARD_MISSES_PER_CREATE * card_usd),
    ]
    total = sum(cost for _, cost in rows)
    print("\n## Cost per million creates (a public 10 KB conversation; list prices, us-east-1)\n")
    print("| part | $ per million creates |")
    print("|---|---|")
    for name, cost in rows:
        print(f"| {name} | {cost:.2f} |")
    print(f"| **all in** | **{total:.2f}** |")
    print(f"| through API Gateway REST instead (as a single-stack deploy does: ${API_GATEWAY_REQUEST * 1e6:.2f} a "
          "million requests) | "
          f"{total + million * API_GATEWAY_REQUEST:.2f} |")
    if unlisted_usd is not None:  # no search entries, no public count, no listing indexes
        print(f"| all in, an unlisted create (the call ledger's {unlisted_usd:.2f} for its AWS calls) | "
              f"{total - ledger_usd + unlisted_usd:.2f} |")
    return total


def republish_rate(post: Any, rng: random.Random, make_conversation: Any, n: int = 200) -> None:
    """Pages per minute a deploy's `republish` draws again (every page stale), against moto."""
    from chalicelib import published
    from chalicelib.aws import s3
    from chalicelib.settings import get

    ids = [post(make_conversation(10_000, rng))["id"] for _ in range(n)]
    for cid in ids:  # as if drawn by older templates
        s3().copy_object(Bucket=get().bucket, Key=f"pages/c/{cid}", CopySource={"Bucket": get().bucket,
                         "Key": f"pages/c/{cid}"}, Metadata={"template": "old"}, MetadataDirective="REPLACE",
                         ContentType="text/html; charset=utf-8")
    started = time.perf_counter()
    counts = published.republish()
    seconds = time.perf_counter() - started
    per_minute = counts["published"] / seconds * 60
    workers = 20  # the queue's MaximumConcurrency (infra/stack.yaml)
    print(f"\nRepublish after a deploy: {counts['pages']:,} pages listed, {counts['published']:,} drawn again in "
          f"{seconds:.1f} s: {per_minute:,.0f} pages a minute for one worker against moto (a BatchGet "
          "of the conversations per 100 pages; a HEAD, a consistent Query, a PUT and a consistent GetItem per "
          f"stale page). A deploy queues the pages and {workers} republish_pages Lambdas draw them: "
          f"{per_minute * workers:,.0f} pages a minute in the model, a million in "
          f"{1_000_000 / (per_minute * workers):.0f} minutes (DynamoDB and S3 take far more than this asks).")


def delete_paths(client: Any, post: Any, rng: random.Random, make_conversation: Any) -> None:
    """How many exact CDN paths a delete invalidates."""
    from chalicelib import cdn

    victim = post(make_conversation(2_000, rng, visibility="public"))
    client.http.delete(f"/api/conversations/{victim['id']}",
                       headers={"authorization": f"Bearer {victim['deleteToken']}"})
    paths = cdn.INVALIDATED[-1]
    print(f"\nA delete invalidates {len(paths)} exact paths (no wildcard): {', '.join(paths)}; plus one per "
          "image or avatar it was the last conversation to use. CloudFront takes 3,000 exact paths in progress, "
          f"so about {3000 // len(paths)} deletes at once before it asks us to wait (the retry queue then holds "
          "them); the first 1,000 paths a month are free, then $0.005 each.")
