"""The site's pages for readers: home, a conversation, Explore, a person's lists; files and the short link."""
from __future__ import annotations

import logging
import re

from chalice import Response

from .. import callers, links
from ..errors import ApiError, bad_request, not_found
from ..http import IMMUTABLE, Routes, html_response, page_not_found, private_page, redirect
from ..ids import is_valid_id

routes = Routes(__name__)
_IDENTICON_RE = re.compile(r"([0-9A-Za-z]{1,64})\.svg")
_DATASET_FILE_RE = re.compile(r"latest\.json|\d{4}-\d{2}-\d{2}/(README\.md|data/train-\d{5}-of-\d{5}\.parquet)")
PARQUET = "application/vnd.apache.parquet"


@routes.route("/")
def home() -> Response:
    from .. import listings, pages

    latest, _ = listings.list_public("new", size=10)
    top, _ = listings.list_public("top", size=10)
    latest, top = listings.with_assistants(latest, top)
    deleted = callers.query(routes.current_request).get("account") == "deleted"
    return html_response(pages.home_page(listings.count_public()[0], latest, top, account_deleted=deleted))


@routes.route("/c/{conversation_id}", methods=["GET"])
def conversation_page(conversation_id: str) -> Response:
    """Deployed, CloudFront answers from the published page and comes here only when it is missing: draw,
    publish, answer. The local stack stands in for CloudFront: the published page first, and a log line."""
    from .. import published, settings

    if not settings.get().local_edge:
        return _draw_and_publish(conversation_id)
    html = published.read(conversation_id) if is_valid_id(conversation_id) else None
    response = _published_page(html) if html is not None else _draw_and_publish(conversation_id)
    _log_as_the_cdn(f"/c/{conversation_id}", response)
    return response


def _draw_and_publish(conversation_id: str) -> Response:
    from .. import published

    try:
        html = published.publish(conversation_id) if is_valid_id(conversation_id) else None
    except ApiError as exc:
        if exc.status in (410, 451):  # taken down, or held for review: say so, never show it
            from .. import pages

            heading = "Removed" if exc.status == 410 else "Under review"
            return html_response(pages.not_found_page(exc.message, heading), exc.status, cache="public, max-age=60",
                                 noindex=True)
        if exc.status != 404:
            raise
        html = None
    return _published_page(html) if html is not None else page_not_found()


def _published_page(html: str) -> Response:
    """A published page as an answer: its cache time, and noindex when the page itself says so (unlisted)."""
    from .. import published

    return html_response(html, cache=published.PAGE_CACHE, noindex='<meta name="robots"' in html)


def _log_as_the_cdn(path: str, response: Response) -> None:
    """The access-log line CloudFront would write for this request, in its format and place (local only)."""
    import time

    from .. import cdnlogs

    request = routes.current_request
    body = response.body if isinstance(response.body, str) else ""
    try:
        cdnlogs.write_local([cdnlogs.log_row(time.time(), callers.address(request), request.method, path,
                                             response.status_code, request.headers.get("user-agent", "-"),
                                             len(body.encode("utf-8")), request.headers.get("host", "-"))])
    except Exception:  # a lost log line is a lost view, never a lost page (as with CloudFront)
        logging.getLogger(__name__).warning("The local edge's access-log line was not written", exc_info=True)


@routes.route("/explore", methods=["GET"])
def explore() -> Response:
    from .. import listings, pages

    params = callers.query(routes.current_request)
    tab = params.get("tab", "top")
    if tab not in ("top", "new"):
        raise bad_request("tab must be 'top' or 'new'.", "tab")
    q = (params.get("q") or "").strip()[:200]
    source = params.get("source") or None
    if source is not None and source not in pages.SOURCE_NAMES:
        raise bad_request("source is not an assistant this site knows.", "source")
    cursor = params.get("cursor") or None
    trail = params["trail"].split(".")[: pages.MAX_TRAIL] if params.get("trail") else []
    try:
        rows, next_cursor = listings.list_public(tab, cursor=cursor, search=q or None, source=source)
    except ApiError as exc:
        if exc.status != 400:
            raise
        rows, next_cursor, cursor, trail = [], None, None, []  # a mangled cursor: show the first page's links
    (rows,) = listings.with_assistants(rows)
    return html_response(pages.explore_page(tab, q, rows, cursor, next_cursor, trail, source))


@routes.route("/import", methods=["GET"])
def import_page() -> Response:
    """Share from a ChatGPT or Claude data export: the page reads it in the browser; the server sees only
    the creates of what the person chose."""
    from .. import pages

    return html_response(pages.import_page(), cache="public, max-age=300")


@routes.route("/mine", methods=["GET"])
def mine() -> Response:
    """Signed in: the owner's conversations from the server; always: the ones this browser holds keys for."""
    from .. import pages

    user = callers.optional_user(routes.current_request)
    if user is None:
        return html_response(pages.mine_page(None, [], None), cache="private, no-store", noindex=True)
    from .. import listings

    cursor = callers.query(routes.current_request).get("cursor") or None
    try:
        rows, next_cursor = listings.list_owned(user.sub, cursor)
    except ApiError:  # a mangled cursor: the first page
        rows, next_cursor = listings.list_owned(user.sub)
    return html_response(pages.mine_page(user, rows, next_cursor), cache="private, no-store", noindex=True)


@routes.route("/saved", methods=["GET"])
def saved_page() -> Response:
    from .. import pages, saves

    user = callers.optional_user(routes.current_request)
    if user is None:
        return redirect("/signin?next=/saved")
    cursor = callers.query(routes.current_request).get("cursor") or None
    try:
        rows, next_cursor = saves.list_saved(user.sub, cursor)
    except ApiError:  # a mangled cursor: the first page
        rows, next_cursor = saves.list_saved(user.sub)
    return private_page(pages.saved_page(rows, next_cursor))


@routes.route("/sitemap.xml", methods=["GET"])
def sitemap() -> Response:
    from .. import listings, pages

    return Response(pages.sitemap_xml(listings.sitemap_entries()), headers={
        "Content-Type": "application/xml; charset=utf-8", "Cache-Control": "public, max-age=3600"})


@routes.route("/robots.txt", methods=["GET"])
def robots() -> Response:
    """For `make run`: deployed, CloudFront serves it from the bucket (sitefiles.py), never this route."""
    return _site_file("robots.txt")


@routes.route("/favicon.ico", methods=["GET"])
def favicon() -> Response:
    """For `make run`: deployed, CloudFront serves it from the bucket (sitefiles.py), never this route."""
    return _site_file("favicon.ico")


def _site_file(name: str) -> Response:
    from .. import sitefiles

    found = sitefiles.files()[name]
    # Chalice sends text as str and only its binary types as bytes.
    body = found.body.decode() if found.content_type.startswith("text/") else found.body
    return Response(body, headers={"Content-Type": found.content_type, "Cache-Control": found.cache_control})


@routes.route("/dataset", methods=["GET"])
def dataset_page() -> Response:
    from .. import dataset, pages

    return html_response(pages.dataset_page(dataset.latest()), cache="public, max-age=300")


@routes.route("/dataset/latest.json", methods=["GET", "HEAD"])
def dataset_manifest() -> Response:
    """For `make run`: deployed, CloudFront serves /dataset/* from the bucket, never these routes."""
    return _dataset_file("latest.json")


@routes.route("/dataset/{day}/{name}", methods=["GET", "HEAD"])
def dataset_card(day: str, name: str) -> Response:
    return _dataset_file(f"{day}/{name}")


@routes.route("/dataset/{day}/data/{name}", methods=["GET", "HEAD"])
def dataset_shard(day: str, name: str) -> Response:
    return _dataset_file(f"{day}/data/{name}")


def _dataset_file(name: str) -> Response:
    """The file as S3 answers it through the CDN: GET, and HEAD (readers such as fsspec ask a file's size
    first)."""
    from .. import keys, settings
    from ..aws import missing_object, s3

    if not _DATASET_FILE_RE.fullmatch(name):
        raise not_found("file")
    head = routes.current_request.method == "HEAD"
    try:
        key = {"Bucket": settings.get().bucket, "Key": keys.DATASET_PREFIX + name}
        found = s3().head_object(**key) if head else s3().get_object(**key)
    except Exception as exc:
        if missing_object(exc):
            raise not_found("file") from None
        raise
    content_type = found.get("ContentType", "application/octet-stream")
    headers = {"Content-Type": content_type, "Cache-Control": found.get("CacheControl", "public, max-age=300")}
    if head:  # `chalice local` sets the length of what is sent (nothing); S3 and the CDN give the file's
        return Response(b"" if content_type == PARQUET else "", headers=headers)
    body = found["Body"].read()
    return Response(body if content_type == PARQUET else body.decode("utf-8"), headers=headers)


@routes.route("/static/{name}", methods=["GET"])
def static(name: str) -> Response:
    from .. import pages

    found = pages.static_file(name)
    if found is None:
        raise not_found("file")
    content, content_type = found
    # The pages' URLs carry the content hash (?v=...), so that file can be cached for good; any other version
    # (a page cached before a deploy asks for the old one) gets this content for five minutes only.
    asked = callers.query(routes.current_request).get("v")
    cache = IMMUTABLE if asked == pages.version(name) else "public, max-age=300"
    return Response(content.decode("utf-8"), headers={"Content-Type": content_type, "Cache-Control": cache})


@routes.route("/cards/{conversation_id}/{name}", methods=["GET", "HEAD"])
def preview_card(conversation_id: str, name: str) -> Response:
    """A conversation's link-preview card, drawn for the request (deployed: the CDN's miss). An image: 406 for
    an Accept that allows none (Chalice and API Gateway could not answer one); HEAD draws nothing."""
    from .. import published

    accept = routes.current_request.headers.get("accept", "")
    accepted = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if not accepted & {"*/*", "image/*", "image/png"}:
        # Never kept at the edge: the next asker's Accept may allow the image.
        raise ApiError(406, "not_acceptable", "This is a PNG image: ask with an Accept header that allows one.",
                       "accept", headers={"Cache-Control": "no-store"})
    headers: dict[str, str | list[str]] = {"Content-Type": "image/png", "Cache-Control": published.CARD_CACHE}
    if routes.current_request.method == "HEAD":
        published.card_named(conversation_id, name)
        # Never kept: an edge that answered a later GET from a cached HEAD would send an empty image.
        return Response(b"", headers={**headers, "Cache-Control": "no-store"})
    return Response(published.card(conversation_id, name), headers=headers)


@routes.route("/identicons/{name}", methods=["GET"])
def default_avatar(name: str) -> Response:
    match = _IDENTICON_RE.fullmatch(name)
    if not match:
        raise not_found("avatar")
    from ..identicon import identicon_svg

    return Response(identicon_svg(match.group(1)), headers={
        "Content-Type": "image/svg+xml", "Cache-Control": IMMUTABLE,
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


@routes.route("/{conversation_id}", methods=["GET"])
def short_link(conversation_id: str) -> Response:
    if not is_valid_id(conversation_id):
        raise not_found()
    return Response("", status_code=301, headers={"Location": links.conversation_url(conversation_id),
                                                  "Cache-Control": IMMUTABLE})
