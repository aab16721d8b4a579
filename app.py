"""The service's table of contents: the Chalice app, what every request passes through, where the routes
live, and the scheduled work.

Routes, by area (each a Blueprint in chalicelib/routes/):
  pages.py     home, /c/<id>, /explore, /mine, /saved, sitemap, robots, static files, identicons, cards, the short link
  api.py       /api/conversations: share, read, list, search, count, export, change, delete; OpenAPI
  social.py    saves, comments, /api/me/conversations, /api/me/saves, /api/me/status
  accounts.py  sign up, confirm, sign in and out, password reset, /account, /api/me
  moderation.py  reports (/report, /api/reports), the moderators' queue, actions and log, /abuse
`/api/conversations` also reaches the app through the `share` function's URL, and `/cards/*` through the `cards`
function's (chalicelib/function_url.py).
Responses and errors are shaped in chalicelib/http.py; who is calling is read in chalicelib/callers.py; the
domain (chalicelib/*.py) knows nothing of HTTP.

Only chalice and light modules load here; boto3, PynamoDB, nh3, comrak and pydantic load inside the routes that use
them, so the short-link redirect starts cold in about the time of `import chalice`.
"""
from __future__ import annotations

import logging
import os
import time
from typing import Any

from chalice import Chalice, Cron, Rate, Response

from chalicelib import accesslog, callers, http
from chalicelib.errors import ApiError
from chalicelib.routes import accounts, api, moderation, pages, social

app = Chalice(app_name="sharegpt")
# /favicon.ico and the dataset's Parquet under `make run` (deployed, CloudFront serves them from the bucket);
# image/* so that a card drawn on its first request (PNG) goes to a crawler asking for any image.
app.api.binary_types.extend(["image/x-icon", "application/vnd.apache.parquet", "image/*"])
for area in (pages, api, social, accounts, moderation):
    app.register_blueprint(area.routes)


def _through_our_cdn(event: Any) -> bool:
    """Whether a request came through our CloudFront, which adds the stage's secret `X-Origin-Verify`.

    A direct call to API Gateway's default URL could write its own X-Forwarded-For (resetting rate limits,
    inflating views) and skip the CDN's headers, so every route refuses it; the short-link redirect alone
    is exempt, as it reads nothing and must not fetch the secret on its cold start.
    """
    from chalicelib import stage_secrets

    expected = stage_secrets.origin_verify()
    return not expected or stage_secrets.matches(event.headers.get("x-origin-verify"), expected)


@app.middleware("http")
def error_envelope_and_access_log(event: Any, get_response: Any) -> Response:
    """Every request: refuse what skipped our CDN, answer errors in one envelope (a page for browsers), add
    the cookies the handling decided on, and log one line."""
    started = time.perf_counter()
    http.take_cookies()
    # By the matched route, not the path: /explore and /account are seven letters too.
    short_link = (event.context or {}).get("resourcePath") == "/{conversation_id}"
    try:
        if not short_link and not _through_our_cdn(event):
            raise ApiError(403, "direct_access", "Use the site's address, not the API's own URL.")
        response = get_response(event)
    except ApiError as exc:
        response = http.error_response(exc)
    response = http.reshaped_error(response)
    if response.status_code >= 400 and http.wants_page(event.path, event.headers.get("accept")) and \
            str(response.headers.get("Content-Type", "")).startswith("application/json"):
        response = http.error_page(response)
    cookies = http.take_cookies()
    if cookies:
        response.headers["Set-Cookie"] = cookies
        response.headers["Cache-Control"] = http.NO_STORE
    if event.method == "HEAD":  # headers only, errors too (API Gateway drops them; `chalice local` would not)
        response.body = b"" if isinstance(response.body, bytes) else ""
    context = event.context or {}
    request_id = context.get("requestId") or os.urandom(16).hex()
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers["X-Request-Id"] = request_id
    accesslog.emit(route=context.get("resourcePath", event.path), method=event.method,
                   status=response.status_code, duration_ms=(time.perf_counter() - started) * 1000,
                   request_id=request_id, client=None if short_link else callers.client(event))
    return response


@app.lambda_function(name="share")
def share(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """`/api/conversations` (the create, and the list on the same path) from CloudFront through this
    function's URL: the same app and routes, without API Gateway's price per request. Its reserved
    concurrency (the config) is the ceiling API Gateway's throttle was (docs/performance.md)."""
    from chalicelib import function_url

    return function_url.handle(app, event, context, function_url.SHARE)


@app.lambda_function(name="cards")
def preview_cards(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """`/cards/*` (link-preview cards, drawn on the CDN's misses) through this function's URL: a function of
    its own, so that crawlers asking for many cards at once use its reserved concurrency, never the creates'."""
    from chalicelib import function_url

    return function_url.handle(app, event, context, function_url.CARDS)


@app.schedule(Rate(5, unit=Rate.MINUTES))
def retry_invalidations(event: Any) -> None:
    """Finish the removals whose cleanup failed (pages, objects, shared images) and send again the CDN
    invalidations CloudFront refused: a delete must leave S3 and the edge (two reads when none wait)."""
    from chalicelib import accesslog, cleanup

    accesslog.emit_job("cleanup", **cleanup.drain())


@app.lambda_function(name="republish_pages")
def republish_pages(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A republish worker: the pages named by each message of the republish queue (fed by a deploy),
    drawn again; at most 20 workers at once (the queue's event source mapping in infra/stack.yaml). A message
    that fails comes back (and after three tries rests in the dead-letter queue); the others are done."""
    from chalicelib import accesslog, published

    failures = []
    done = {"pages": 0, "published": 0, "gone": 0}
    for record in event.get("Records", []):
        try:
            for name, n in published.handle_republish_message(record["body"]).items():
                done[name] += n
        except Exception:
            logging.getLogger(__name__).exception("Republish message %s failed", record.get("messageId"))
            failures.append({"itemIdentifier": record.get("messageId")})
    accesslog.emit_job("republish", **done, failed=len(failures))
    return {"batchItemFailures": failures}


@app.schedule(Cron(30, 3, "*", "*", "?", "*"))
def dataset_snapshot(event: Any) -> None:
    """Start the day's snapshot of the open dataset (the donations past their cooling-off day, scrubbed, as
    Parquet): one message per shard on the dataset queue, which `dataset_shards` works."""
    from chalicelib import accesslog, dataset

    accesslog.emit_job("dataset_snapshot", shards=dataset.start_snapshot()["shards"])


@app.lambda_function(name="dataset_shards")
def dataset_shards(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A shard worker of the open dataset's snapshot (it carries the pyarrow layer), at most 16 at once (the
    queue's event source mapping); the last shard of the day writes the card and latest.json. A message that
    fails comes back, and after three tries rests in the dead-letter queue."""
    from chalicelib import accesslog, dataset

    failures = []
    for record in event.get("Records", []):
        try:
            done = dataset.handle_shard_message(record["body"])
            accesslog.emit_job("dataset_shard", shard=done["shard"], rows=done["rows"])
        except Exception:
            logging.getLogger(__name__).exception("Dataset shard message %s failed", record.get("messageId"))
            failures.append({"itemIdentifier": record.get("messageId")})
    return {"batchItemFailures": failures}


@app.schedule(Rate(15, unit=Rate.MINUTES))
def dataset_removals(event: Any) -> None:
    """Take conversations deleted, taken down or held for child safety out of the snapshots still served,
    within the hour (one read when none wait). One run at a time (reserved concurrency 1 in the config): two
    overlapping runs that read the queue at different moments could each upload a shard missing only their own
    removals."""
    from chalicelib import accesslog, dataset

    accesslog.emit_job("dataset_removals", **dataset.apply_removals())


@app.schedule(Rate(1, unit=Rate.HOURS))
def fold_views(event: Any) -> None:
    """Fold the CDN's new access-log files into each conversation's views (Top's order)."""
    from chalicelib import accesslog, jobs

    accesslog.emit_job("fold_views", **jobs.fold_views())
