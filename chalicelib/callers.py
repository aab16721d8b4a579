"""Who is calling: the client's salted address hash, the signed-in person, and what a form or JSON body posted.

Each takes Chalice's request; the domain modules never see it.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from . import clientip, http, sessions, settings, stage_secrets
from .clientip import client_ip, ip_hash
from .errors import ApiError, bad_request
from .reasons import MODERATORS_GROUP

if TYPE_CHECKING:  # PyJWT and boto3 load only on requests that carry a session
    from chalice.app import Request

    from .auth import User

_NEXT_RE = re.compile(r"/(?!/)[\x21-\x7e]{0,500}")


def client(request: Request) -> str:
    """The caller as a salted hash of its network, which every rate limit keys on: an IPv6 caller is its /64
    (one subscriber's block, whose 2^64 addresses a person rotates through at will), an IPv4 caller its
    address."""
    ip = address(request)
    if ":" in ip:  # only IPv6 callers load `ipaddress` (clientip.network), off IPv4 requests' import path
        ip = clientip.network(ip)
    return ip_hash(ip, stage_secrets.ip_hash_salt())


def network(request: Request) -> str:
    """The caller's network (its IPv6 /64, or its IPv4 address) as a salted hash: one person, however many
    addresses of their block they rotate through."""
    return ip_hash("net:" + clientip.network(address(request)), stage_secrets.ip_hash_salt())


def address(request: Request) -> str:
    """The caller's address, raw: only for the local stack's stand-in of CloudFront's access log (which
    holds addresses as CloudFront's does; the view count hashes them like `client`)."""
    identity = (request.context or {}).get("identity") or {}
    # Forwarded addresses count only on requests that came through our CloudFront (the middleware refuses
    # the rest wherever an origin secret is set); without one (local), TRUSTED_PROXY_HOPS decides alone.
    return client_ip(identity.get("sourceIp"), request.headers.get("x-forwarded-for"),
                     settings.get().trusted_proxy_hops)


def _session_user(request: Request, lenient: bool) -> User | None:
    cfg = settings.get()
    outcome = sessions.authenticate(request.headers.get("cookie"), request.method, request.headers.get("origin"),
                                    request.headers.get("referer"), site_url=cfg.site_url,
                                    extension_origins=cfg.extension_origins, secure=cfg.secure_cookies)
    if outcome.set_cookies:
        http.set_cookies(outcome.set_cookies)
    if outcome.error is not None and not (lenient and outcome.error.status == 401):
        raise outcome.error
    if outcome.user is not None and request.method not in sessions.SAFE_METHODS:
        from . import accounts  # lazy: Cognito's and DynamoDB's code only for a signed-in write

        if accounts.session_revoked(outcome.user):  # a deleted account's token, still unexpired
            http.set_cookies(sessions.cleared_cookies(cfg.secure_cookies))
            raise ApiError(401, "session_ended", "This session has ended. Sign in again.")
    return outcome.user


def signed_in_user(request: Request) -> User:
    """The signed-in caller (session cookie, verified), or a 401.

    Cookie-authenticated writes from another origin are refused (403 csrf); a failed session is a 401 that
    clears the cookies.
    """
    user = _session_user(request, lenient=False)
    if user is None:
        raise ApiError(401, "unauthorized", "Sign in to do this.")
    return user


def moderator(request: Request) -> User:
    """The signed-in caller if the verified token puts them in the moderators group: 401 for anyone not
    signed in, 403 for everyone else (cookie writes from another site are a 403 csrf first)."""
    user = signed_in_user(request)
    if MODERATORS_GROUP not in user.groups:
        raise ApiError(403, "forbidden", "Only moderators can do this.")
    return user


def optional_user(request: Request) -> User | None:
    """The signed-in caller, or None for an anonymous one.

    A session that fails (expired beyond refresh, forged) makes a read anonymous but a write a 401, so the
    extension learns to share anonymously instead of sharing without the owner it meant.
    """
    return _session_user(request, lenient=request.method in sessions.SAFE_METHODS)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def query(request: Request) -> dict[str, str]:
    return dict(request.query_params or {})


def edge_cache(request: Request, cache: str, allowed: str | None = None) -> str:
    """`cache` for an answer that holds a conversation's content when it was asked for at a URL its delete
    invalidates (no query string, or only `allowed` once), else no-store: CloudFront keys the API's answers
    on their query strings, so `?page=1` would be a copy no invalidation names (cdn.conversation_paths)."""
    params = request.query_params
    if not params:
        return cache
    if allowed is not None and set(params) == {allowed} and len(params.getlist(allowed)) == 1:
        return cache
    return "no-store"


def int_param(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):  # "²".isdigit() is True, int("²") fails
        raise bad_request(f"{name} must be a positive integer.", name)
    return int(raw)


def raw_body(request: Request) -> bytes:
    raw = request.raw_body or b""
    return raw.encode("utf-8") if isinstance(raw, str) else raw


def json_body(request: Request) -> Any:
    from . import validation  # lazy: pydantic only for a request with a body

    return validation.parse_json(raw_body(request))


def posted(request: Request) -> tuple[dict[str, str], bool]:
    """The fields of a form post (or JSON body) and whether the caller wants JSON back.

    Refuses a post from another site first: signing someone in to an attacker's account is an attack too.
    """
    from urllib.parse import parse_qsl

    from . import validation  # lazy: pydantic only for a request with a body

    cfg = settings.get()
    origin, referer = request.headers.get("origin"), request.headers.get("referer")
    if not sessions.same_origin_write(origin, referer, cfg.site_url, cfg.extension_origins):
        if not (origin or "").strip() and not referer:
            raise ApiError(403, "csrf", sessions.csrf_message(origin, referer, cfg.site_url))
        raise ApiError(403, "csrf", "This form was not sent from this site. Reload the page and try again.")
    raw = raw_body(request)
    if (request.headers.get("content-type") or "").startswith("application/json"):
        data = validation.parse_json(raw)
        if not isinstance(data, dict):
            raise bad_request("The body must be a JSON object.", code="invalid_json")
        return {k: str(v) for k, v in data.items() if isinstance(v, (str, int))}, True
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)), False


def next_path(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (never //host or a scheme)."""
    # Printable ASCII only: a newline would split the Location header.
    if value and _NEXT_RE.fullmatch(value) and "\\" not in value:
        return value
    return "/mine"
