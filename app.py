"""HTTP routes: parse the request, call one domain function, shape the response.

Only chalice and the light `chalicelib` modules are imported here; boto3, PynamoDB, bleach and
pydantic load inside the routes that use them, so the short-link redirect starts cold in
about the time of `import chalice`.
"""
from __future__ import annotations

import json
import os
import re
import time
from functools import lru_cache
from typing import Any

from chalice import Chalice, Rate, Response

from chalicelib import accesslog, links, settings
from chalicelib.clientip import client_ip, ip_hash
from chalicelib.errors import ApiError, bad_request, not_found
from chalicelib.ids import is_valid_id

app = Chalice(app_name="sharegpt")

NO_STORE = "no-store"
IMMUTABLE = "public, max-age=31536000, immutable"
# sendBeacon posts nothing, text/plain or form data. (Chalice refuses to deploy a route mixing binary
# types such as application/octet-stream with text ones.)
ANY_BODY = ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
_IDENTICON_RE = re.compile(r"^([0-9A-Za-z]{1,64})\.svg$")
# Chalice's own error bodies ({"Code", "Message"}) are reshaped into ours.
_CHALICE_CODES = {"UnsupportedMediaType": "unsupported_media_type", "MethodNotAllowedError": "method_not_allowed",
                  "BadRequestError": "invalid_request", "BadRequest": "invalid_request",
                  "NotFoundError": "not_found", "InternalServerError": "internal"}


def _json(body: Any, status: int = 200, cache: str = NO_STORE, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, separators=(",", ":"), ensure_ascii=False), status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8", "Cache-Control": cache,
                             **(headers or {})})


def _client() -> str:
    """The caller as a salted hash of its address: rate limits and view de-duplication key on it."""
    request = app.current_request
    cfg = settings.get()
    identity = (request.context or {}).get("identity") or {}
    ip = client_ip(identity.get("sourceIp"), request.headers.get("x-forwarded-for"), cfg.trusted_proxy_hops)
    return ip_hash(ip, cfg.ip_hash_salt)


@app.middleware("http")
def error_envelope_and_access_log(event: Any, get_response: Any) -> Response:
    started = time.perf_counter()
    try:
        response = get_response(event)
    except ApiError as exc:
        response = _json(exc.body(), exc.status, headers=exc.headers)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        code = _CHALICE_CODES.get(body["Code"], "error")
        message = "An internal error occurred." if response.status_code >= 500 else body["Message"]
        response = _json({"error": {"code": code, "message": message}}, response.status_code,
                         headers={k: v for k, v in response.headers.items() if k.lower() == "allow"})
    if response.status_code >= 400 and _wants_page(event) and \
            response.headers.get("Content-Type", "").startswith("application/json"):
        response = _error_page(response)
    context = event.context or {}
    request_id = context.get("requestId") or os.urandom(16).hex()
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers["X-Request-Id"] = request_id
    accesslog.emit(route=context.get("resourcePath", event.path), method=event.method,
                   status=response.status_code, duration_ms=(time.perf_counter() - started) * 1000,
                   request_id=request_id, client=_client())
    return response


def _wants_page(event: Any) -> bool:
    """A browser asking for a page (not the API, not an asset) gets a readable page, not JSON."""
    path = event.path or ""
    return not path.startswith(("/api/", "/static/", "/identicons/")) and "text/html" in (
        event.headers.get("accept") or "")


def _error_page(response: Response) -> Response:
    from chalicelib import pages

    error = json.loads(response.body or "{}").get("error", {})
    if response.status_code == 404:
        html = pages.not_found_page()
    else:
        html = pages.not_found_page(error.get("message") or "Something went wrong.",
                                    heading="Something went wrong" if response.status_code >= 500 else "Not allowed")
    return _html(html, response.status_code, cache=NO_STORE, noindex=True)


@lru_cache(maxsize=1)
def _csp() -> str:
    """Strict: scripts and styles from this origin only; images also from the avatar host."""
    from urllib.parse import urlsplit

    parts = urlsplit(settings.get().avatar_base_url)
    avatar_origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' " + avatar_origin +
            "; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'")


def _html(body: str, status: int = 200, cache: str = "public, max-age=60", noindex: bool = False) -> Response:
    headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": cache,
               "Content-Security-Policy": _csp(), "Referrer-Policy": "strict-origin-when-cross-origin",
               "X-Frame-Options": "DENY"}
    if noindex:
        headers["X-Robots-Tag"] = "noindex, nofollow"
    return Response(body, status_code=status, headers=headers)


def _page_not_found() -> Response:
    from chalicelib import pages

    return _html(pages.not_found_page(), 404, cache="public, max-age=60", noindex=True)


@app.route("/")
def home() -> Response:
    from chalicelib import conversations, pages

    latest, _ = conversations.list_public("new", size=10)
    top, _ = conversations.list_public("top", size=10)
    return _html(pages.home_page(conversations.count_public(), latest, top))


@app.route("/c/{conversation_id}", methods=["GET"])
def conversation_page(conversation_id: str) -> Response:
    from chalicelib import conversations, pages

    try:
        conversation = conversations.get(conversation_id)
    except ApiError as exc:
        if exc.status == 404:
            return _page_not_found()
        raise
    # A frozen snapshot: shared caches may keep it long; the view count on it may lag (the beacon still counts).
    return _html(pages.conversation_page(conversation, links.short_url(conversation_id)),
                 cache="public, max-age=300, s-maxage=86400", noindex=conversation["visibility"] != "public")


@app.route("/explore", methods=["GET"])
def explore() -> Response:
    from chalicelib import conversations, pages

    params = app.current_request.query_params or {}
    tab = params.get("tab") if params.get("tab") in ("top", "new") else "top"
    q = (params.get("q") or "").strip()[:200]
    cursor = params.get("cursor") or None
    trail = params["trail"].split(".")[: pages.MAX_TRAIL] if params.get("trail") else []
    try:
        rows, next_cursor = conversations.list_public(tab, cursor=cursor, search=q or None)
    except ApiError as exc:
        if exc.status != 400:
            raise
        rows, next_cursor, cursor, trail = [], None, None, []  # a mangled cursor: show the first page's links
    return _html(pages.explore_page(tab, q, rows, cursor, next_cursor, trail))


@app.route("/mine", methods=["GET"])
def mine() -> Response:
    from chalicelib import pages

    return _html(pages.mine_page(), cache="public, max-age=300", noindex=True)


@app.route("/sitemap.xml", methods=["GET"])
def sitemap() -> Response:
    from chalicelib import conversations, pages

    return Response(pages.sitemap_xml(conversations.sitemap_entries()), headers={
        "Content-Type": "application/xml; charset=utf-8", "Cache-Control": "public, max-age=3600"})


@app.route("/robots.txt", methods=["GET"])
def robots() -> Response:
    from chalicelib import pages

    return Response(pages.robots_txt(), headers={"Content-Type": "text/plain; charset=utf-8",
                                                 "Cache-Control": "public, max-age=86400"})


@app.route("/static/{name}", methods=["GET"])
def static(name: str) -> Response:
    from chalicelib import pages

    found = pages.static_file(name)
    if found is None:
        raise not_found("file")
    content, content_type = found
    # URLs carry a content hash (?v=...), so a file can be cached for good.
    return Response(content.decode("utf-8"), headers={"Content-Type": content_type, "Cache-Control": IMMUTABLE})


@app.route("/api/conversations/{conversation_id}/export", methods=["GET"])
def export_conversation(conversation_id: str) -> Response:
    from chalicelib import conversations, export

    fmt = (app.current_request.query_params or {}).get("format") or "markdown"
    if fmt not in export.FORMATS:
        raise bad_request("format must be one of: " + ", ".join(export.FORMATS), "format")
    body, content_type, filename = export.export(conversations.get(conversation_id), fmt)
    return Response(body, headers={"Content-Type": content_type, "Cache-Control": "public, max-age=300",
                                   "Content-Disposition": f'attachment; filename="{filename}"'})


@app.route("/api/conversations", methods=["POST"], content_types=["application/json", "text/plain"])
def create_conversation() -> Response:
    from chalicelib import conversations, ratelimit, validation

    cfg = settings.get()
    raw = app.current_request.raw_body or b""
    if len(raw) > cfg.max_body_bytes:
        raise ApiError(413, "payload_too_large", f"The body may be at most {cfg.max_body_bytes} bytes.")
    ratelimit.check("create", _client(), cfg.create_limit, cfg.create_window_seconds)
    request = validation.parse_create(raw, cfg.max_messages)
    return _json(conversations.create(request), 201)


def _int_param(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise bad_request(f"{name} must be a positive integer.", name)
    return int(raw)


@app.route("/api/conversations", methods=["GET"])
def list_conversations() -> Response:
    from urllib.parse import urlencode

    from chalicelib import conversations

    params = app.current_request.query_params or {}
    kind = params.get("type") or "top"
    search = params.get("search") or None
    rows, next_cursor = conversations.list_public(kind, _int_param(params, "page"), params.get("cursor") or None,
                                                  search)
    headers = {}
    if next_cursor:
        query = {"type": kind, **({"search": search} if search else {}), "cursor": next_cursor}
        headers["Link"] = f'</api/conversations?{urlencode(query)}>; rel="next"'
    return _json(rows, cache="public, max-age=30", headers=headers)


@app.route("/api/conversations/count", methods=["GET"])
def count_conversations() -> Response:
    from chalicelib import conversations

    params = app.current_request.query_params or {}
    return _json(conversations.count_public(params.get("search") or None), cache="public, max-age=30")


@app.route("/api/conversations/{conversation_id}", methods=["GET"])
def get_conversation(conversation_id: str) -> Response:
    from chalicelib import conversations

    return _json(conversations.get(conversation_id), cache="public, max-age=60")


@app.route("/api/conversations/{conversation_id}", methods=["DELETE"])
def delete_conversation(conversation_id: str) -> Response:
    from chalicelib import conversations

    header = app.current_request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    conversations.delete(conversation_id, token.strip() if scheme.lower() == "bearer" else None)
    return Response("", status_code=204, headers={"Cache-Control": NO_STORE})


@app.route("/api/conversations/{conversation_id}/view", methods=["POST"], content_types=ANY_BODY)
def count_view(conversation_id: str) -> Response:
    if not is_valid_id(conversation_id):
        raise not_found()
    from chalicelib import views

    return _json({"counted": views.record_view(conversation_id, _client())}, 202)


@app.route("/api/openapi.json", methods=["GET"])
def openapi() -> Response:
    from chalicelib.openapi import spec

    return _json(spec(), cache="public, max-age=300")


@app.route("/identicons/{name}", methods=["GET"])
def default_avatar(name: str) -> Response:
    match = _IDENTICON_RE.match(name)
    if not match:
        raise not_found("avatar")
    from chalicelib.identicon import identicon_svg

    return Response(identicon_svg(match.group(1)), headers={
        "Content-Type": "image/svg+xml", "Cache-Control": IMMUTABLE,
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


@app.route("/{conversation_id}", methods=["GET"])
def short_link(conversation_id: str) -> Response:
    if not is_valid_id(conversation_id):
        raise not_found()
    return Response("", status_code=301, headers={"Location": links.conversation_url(conversation_id),
                                                  "Cache-Control": IMMUTABLE})


@app.schedule(Rate(1, unit=Rate.MINUTES))
def roll_up_views(event: Any) -> None:
    from chalicelib import views

    views.roll_up()
