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
from typing import Any

from chalice import Chalice, Rate, Response

from chalicelib import accesslog, links, settings
from chalicelib.clientip import client_ip, ip_hash
from chalicelib.errors import ApiError, bad_request, not_found
from chalicelib.ids import is_valid_id

app = Chalice(app_name="sharegpt")

NO_STORE = "no-store"
IMMUTABLE = "public, max-age=31536000, immutable"
# sendBeacon posts text/plain or form data; the create route checks JSON itself for clear errors.
ANY_BODY = ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
            "application/octet-stream"]
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
    context = event.context or {}
    request_id = context.get("requestId") or os.urandom(16).hex()
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers["X-Request-Id"] = request_id
    accesslog.emit(route=context.get("resourcePath", event.path), method=event.method,
                   status=response.status_code, duration_ms=(time.perf_counter() - started) * 1000,
                   request_id=request_id, client=_client())
    return response


@app.route("/")
def index() -> Response:
    return _json({"service": "sharegpt", "api": "/api/conversations", "openapi": "/api/openapi.json"},
                 cache="public, max-age=300")


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
