"""HTTP routes: parse the request, call one domain function, shape the response.

Only chalice and the light `chalicelib` modules are imported here; boto3, PynamoDB, bleach and
pydantic load inside the routes that use them, so the short-link redirect starts cold in
about the time of `import chalice`.
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
from functools import lru_cache, wraps
from typing import TYPE_CHECKING, Any

from chalice import Chalice, Rate, Response

from chalicelib import accesslog, links, sessions, settings
from chalicelib.clientip import client_ip, ip_hash
from chalicelib.errors import ApiError, bad_request, not_found
from chalicelib.ids import is_valid_id

if TYPE_CHECKING:  # PyJWT and boto3 load only on requests that carry a session
    from chalicelib.auth import User

class _App(Chalice):
    """Chalice, with every view's failure to reach AWS turned into a 503 `unavailable` (Chalice would make any
    exception a bare 500, out of the middleware's sight)."""

    def route(self, path: str, **kwargs: Any) -> Any:
        register = super().route(path, **kwargs)

        def decorator(view: Any) -> Any:
            @wraps(view)
            def guarded(*args: Any, **view_kwargs: Any) -> Any:
                try:
                    return view(*args, **view_kwargs)
                except ApiError:
                    raise
                except Exception as exc:
                    from chalicelib.errors import unavailable_from

                    unavailable = unavailable_from(exc)
                    if unavailable is None:
                        raise
                    raise unavailable from exc
            return register(guarded)
        return decorator


app = _App(app_name="sharegpt")

NO_STORE = "no-store"
IMMUTABLE = "public, max-age=31536000, immutable"
# sendBeacon posts nothing, text/plain or form data. (Chalice refuses to deploy a route mixing binary
# types such as application/octet-stream with text ones.)
ANY_BODY = ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
_IDENTICON_RE = re.compile(r"([0-9A-Za-z]{1,64})\.svg")
# Chalice's own error bodies ({"Code", "Message"}) are reshaped into ours.
_CHALICE_CODES = {"UnsupportedMediaType": "unsupported_media_type", "MethodNotAllowedError": "method_not_allowed",
                  "BadRequestError": "invalid_request", "BadRequest": "invalid_request",
                  "NotFoundError": "not_found", "InternalServerError": "internal"}


def _utf8_safe(text: str) -> str:
    """Text that encodes as UTF-8: input is checked on the way in, but a lone surrogate stored before that
    check would otherwise drop the connection of every read."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def _json(body: Any, status: int = 200, cache: str = NO_STORE, headers: dict[str, str] | None = None) -> Response:
    return Response(_utf8_safe(json.dumps(body, separators=(",", ":"), ensure_ascii=False)), status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8", "Cache-Control": cache,
                             **(headers or {})})


def _client() -> str:
    """The caller as a salted hash of its address: rate limits and view de-duplication key on it."""
    request = app.current_request
    from chalicelib import stage_secrets

    identity = (request.context or {}).get("identity") or {}
    # Forwarded addresses count only on requests that came through our CloudFront (the middleware refuses
    # the rest wherever an origin secret is set); without one (local), TRUSTED_PROXY_HOPS decides alone.
    hops = settings.get().trusted_proxy_hops
    ip = client_ip(identity.get("sourceIp"), request.headers.get("x-forwarded-for"), hops)
    return ip_hash(ip, stage_secrets.ip_hash_salt())


# Set-Cookie values this request's handling decided on (a refreshed or an ended session).
_request_state = threading.local()


def _secure() -> bool:
    return settings.get().secure_cookies


def _set_cookies(values: list[str]) -> None:
    _request_state.cookies = values


def _user(required: bool = True, lenient: bool = False) -> "User | None":
    """The signed-in caller (session cookie, verified), or None when anonymous and not `required`.

    Cookie-authenticated writes from another origin are refused (403 csrf). A failed session is a 401
    that clears the cookies, except on `lenient` reads, which then treat the caller as anonymous.
    """
    request = app.current_request
    cfg = settings.get()
    outcome = sessions.authenticate(request.headers.get("cookie"), request.method, request.headers.get("origin"),
                                    request.headers.get("referer"), site_url=cfg.site_url,
                                    extension_origins=cfg.extension_origins, secure=cfg.secure_cookies)
    if outcome.set_cookies:
        _set_cookies(outcome.set_cookies)
    if outcome.error is not None and not (lenient and not required and outcome.error.status == 401):
        raise outcome.error
    if outcome.user is None and required:
        raise ApiError(401, "unauthorized", "Sign in to do this.")
    if outcome.user is not None and request.method not in sessions.SAFE_METHODS:
        from chalicelib import accounts

        if accounts.session_revoked(outcome.user):  # a deleted account's token, still unexpired
            _set_cookies(sessions.cleared_cookies(_secure()))
            raise ApiError(401, "session_ended", "This session has ended. Sign in again.")
    return outcome.user


def _required_user() -> "User":
    user = _user(required=True)
    assert user is not None
    return user


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
    started = time.perf_counter()
    _request_state.cookies = None
    # By the matched route, not the path: /explore and /account are seven letters too.
    short_link = (event.context or {}).get("resourcePath") == "/{conversation_id}"
    try:
        if not short_link and not _through_our_cdn(event):
            raise ApiError(403, "direct_access", "Use the site's address, not the API's own URL.")
        response = get_response(event)
    except ApiError as exc:
        response = _json(exc.body(), exc.status, headers=exc.headers)
    if _request_state.cookies:
        response.headers["Set-Cookie"] = _request_state.cookies
        response.headers["Cache-Control"] = NO_STORE
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
                   request_id=request_id, client=None if short_link else _client())
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
    return Response(_utf8_safe(body), status_code=status, headers=headers)


def _page_not_found() -> Response:
    from chalicelib import pages

    return _html(pages.not_found_page(), 404, cache="public, max-age=60", noindex=True)


@app.route("/")
def home() -> Response:
    from chalicelib import conversations, pages

    latest, _ = conversations.list_public("new", size=10)
    top, _ = conversations.list_public("top", size=10)
    deleted = (app.current_request.query_params or {}).get("account") == "deleted"
    return _html(pages.home_page(conversations.count_public()[0], latest, top, account_deleted=deleted))


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
    tab = params.get("tab", "top")
    if tab not in ("top", "new"):
        raise bad_request("tab must be 'top' or 'new'.", "tab")
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
    """Signed in: the owner's conversations from the server; always: the ones this browser holds keys for."""
    from chalicelib import pages

    user = _user(required=False, lenient=True)
    if user is None:
        return _html(pages.mine_page(None, [], None), cache="private, no-store", noindex=True)
    from chalicelib import conversations

    cursor = (app.current_request.query_params or {}).get("cursor") or None
    try:
        rows, next_cursor = conversations.list_owned(user.sub, cursor)
    except ApiError:
        rows, next_cursor = conversations.list_owned(user.sub)
    return _html(pages.mine_page(user, rows, next_cursor), cache="private, no-store", noindex=True)


# ---------------------------------------------------------------- accounts (forms; JSON too)

FORM = "application/x-www-form-urlencoded"


def _posted() -> tuple[dict[str, str], bool]:
    """The fields of a form post (or JSON body) and whether the caller wants JSON back.

    Refuses a post from another site first: signing someone in to an attacker's account is an attack too.
    """
    from urllib.parse import parse_qsl

    from chalicelib import validation

    request = app.current_request
    cfg = settings.get()
    if not sessions.same_origin_write(request.headers.get("origin"), request.headers.get("referer"), cfg.site_url,
                                      cfg.extension_origins):
        raise ApiError(403, "csrf", "This form was not sent from this site. Reload the page and try again.")
    raw = request.raw_body or b""
    if (request.headers.get("content-type") or "").startswith("application/json"):
        data = validation.parse_json(raw)
        if not isinstance(data, dict):
            raise bad_request("The body must be a JSON object.", code="invalid_json")
        return {k: str(v) for k, v in data.items() if isinstance(v, (str, int))}, True
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)), False


_NEXT_RE = re.compile(r"/(?!/)[\x21-\x7e]{0,500}")


def _next_path(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (never //host or a scheme)."""
    # Printable ASCII only: a newline would split the Location header.
    if value and _NEXT_RE.fullmatch(value) and "\\" not in value:
        return value
    return "/mine"


def _redirect(location: str) -> Response:
    """303: after a form post (or to sign in first), the browser GETs `location`."""
    return Response("", status_code=303, headers={"Location": location, "Cache-Control": NO_STORE})


def _auth_page(mode: str, status: int = 200, **values: Any) -> Response:
    from chalicelib import pages

    return _html(pages.auth_page(mode, **values), status, cache=NO_STORE, noindex=True)


def _signed_in(session: Any, fields: dict[str, str], as_json: bool, status: int = 200) -> Response:
    _set_cookies(sessions.session_cookies(session.id_token, session.refresh_token, _secure()))
    if as_json:
        return _json({"signedIn": True}, status)
    return _redirect(_next_path(fields.get("next")))


@app.route("/signin", methods=["GET"])
def signin_page() -> Response:
    return _auth_page("signin", next=_next_path((app.current_request.query_params or {}).get("next")))


@app.route("/signin", methods=["POST"], content_types=[FORM, "application/json"])
def signin() -> Response:
    from chalicelib import accounts, ratelimit, validation

    fields, as_json = _posted()
    try:
        cfg = settings.get()
        ratelimit.check("signin", _client(), cfg.signin_limit, cfg.signin_window_seconds)
        creds = validation.parse_model(validation.Credentials, fields)
        return _signed_in(accounts.sign_in(creds.email, creds.password), fields, as_json)
    except ApiError as exc:
        if as_json:
            raise
        return _auth_page("signin", exc.status, error=exc.message, email=fields.get("email", ""),
                          next=_next_path(fields.get("next")))


@app.route("/signup", methods=["GET"])
def signup_page() -> Response:
    return _auth_page("signup")


@app.route("/signup", methods=["POST"], content_types=[FORM, "application/json"])
def signup() -> Response:
    from chalicelib import accounts, ratelimit, validation
    from chalicelib.text import plain_text

    fields, as_json = _posted()
    try:
        ratelimit.check("signup", _client(), settings.get().signup_limit_per_hour, 3600)
        form = validation.parse_model(validation.SignUp, fields)
        name = plain_text(form.name, 40).strip()
        if not name:
            raise bad_request("name: choose a name to show on your comments.", "name")
        if accounts.sign_up(form.email, form.password, name):
            if as_json:
                return _json({"signedIn": False, "confirm": True}, 201)
            return _auth_page("confirm", email=form.email,
                              info="We sent a code to your email. Enter it to finish signing up.")
        return _signed_in(accounts.sign_in(form.email, form.password), fields, as_json, 201)
    except ApiError as exc:
        if as_json:
            raise
        return _auth_page("signup", exc.status, error=exc.message, email=fields.get("email", ""),
                          name=fields.get("name", ""))


@app.route("/signup/confirm", methods=["POST"], content_types=[FORM, "application/json"])
def confirm_signup() -> Response:
    from chalicelib import accounts, validation

    fields, as_json = _posted()
    try:
        form = validation.parse_model(validation.PasswordReset, fields)
        if not form.code:
            raise bad_request("code: enter the code we sent you.", "code")
        accounts.confirm_sign_up(form.email, form.code)
    except ApiError as exc:
        if as_json:
            raise
        return _auth_page("confirm", exc.status, error=exc.message, email=fields.get("email", ""))
    if as_json:
        return _json({"confirmed": True})
    return _auth_page("signin", info="Your email is confirmed. Sign in.", email=form.email)


@app.route("/signout", methods=["POST"], content_types=[FORM, "application/json"])
def signout() -> Response:
    from chalicelib import accounts

    _, as_json = _posted()
    accounts.sign_out(sessions.read_cookies(app.current_request.headers.get("cookie")).get(sessions.REFRESH))
    _set_cookies(sessions.cleared_cookies(_secure()))
    if as_json:
        return _json({"signedIn": False})
    return _redirect("/")


@app.route("/reset", methods=["GET"])
def reset_page() -> Response:
    return _auth_page("reset")


@app.route("/reset", methods=["POST"], content_types=[FORM, "application/json"])
def reset_password() -> Response:
    """Two steps on one form: an email asks for a code; email, code and a new password set it."""
    from chalicelib import accounts, ratelimit, validation

    fields, as_json = _posted()
    try:
        ratelimit.check("reset", _client(), settings.get().reset_limit_per_hour, 3600)
        form = validation.parse_model(validation.PasswordReset, fields)
        if not form.code:
            local_code = accounts.start_password_reset(form.email)
            if as_json:
                return _json({"sent": True, **({"localCode": local_code} if local_code else {})}, 202)
            info = "If an account uses this email, we sent it a code. Enter it with a new password."
            if local_code:
                info += f" (Local stage, no email is sent: the code is {local_code})"
            return _auth_page("reset-finish", email=form.email, info=info, code=local_code or "")
        if not form.password:
            raise bad_request("password: choose a new password of at least 8 characters.", "password")
        accounts.finish_password_reset(form.email, form.code, form.password)
    except ApiError as exc:
        if as_json:
            raise
        step = "reset-finish" if fields.get("code") is not None else "reset"
        return _auth_page(step, exc.status, error=exc.message, email=fields.get("email", ""))
    if as_json:
        return _json({"reset": True})
    return _auth_page("signin", info="Your password is changed. Sign in with it.", email=form.email)


@app.route("/account", methods=["GET"])
def account_page() -> Response:
    from chalicelib import pages

    user = _user(required=False, lenient=True)
    if user is None:
        return _redirect("/signin?next=/account")
    return _html(pages.account_page(user), cache=NO_STORE, noindex=True)


@app.route("/account/delete", methods=["POST"], content_types=[FORM])
def delete_account_form() -> Response:
    fields, _ = _posted()
    user = _required_user()
    mode = fields.get("mode")
    if mode not in ("delete", "anonymize") or fields.get("confirm") != "yes":
        raise bad_request("Choose what happens to what you shared and tick the box to confirm.", "mode")
    _leave(user, mode)
    return _redirect("/?account=deleted")


@app.route("/saved", methods=["GET"])
def saved_page() -> Response:
    from chalicelib import pages, saves

    user = _user(required=False, lenient=True)
    if user is None:
        return _redirect("/signin?next=/saved")
    cursor = (app.current_request.query_params or {}).get("cursor") or None
    try:
        rows, next_cursor = saves.list_saved(user.sub, cursor)
    except ApiError:
        rows, next_cursor = saves.list_saved(user.sub)
    return _html(pages.saved_page(rows, next_cursor), cache=NO_STORE, noindex=True)


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

    fmt = (app.current_request.query_params or {}).get("format", "markdown")  # "format=" is not a format
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
    owner = _user(required=False)
    ratelimit.check("create", _client(), cfg.create_limit, cfg.create_window_seconds)
    request = validation.parse_create(raw, cfg.max_messages)
    return _json(conversations.create(request, owner=owner.sub if owner else None), 201)


def _int_param(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):  # "²".isdigit() is True, int("²") fails
        raise bad_request(f"{name} must be a positive integer.", name)
    return int(raw)


@app.route("/api/conversations", methods=["GET"])
def list_conversations() -> Response:
    from urllib.parse import urlencode

    from chalicelib import conversations

    params = app.current_request.query_params or {}
    kind = params.get("type", "top")  # "type=" is not a type: 400
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
    count, capped = conversations.count_public(params.get("search") or None)
    # The body stays the bare number the original API answered; a capped count says so in a header.
    return _json(count, cache="public, max-age=30", headers={"X-Count-Capped": "true"} if capped else None)


@app.route("/api/conversations/{conversation_id}", methods=["GET"])
def get_conversation(conversation_id: str) -> Response:
    from chalicelib import conversations

    return _json(conversations.get(conversation_id), cache="public, max-age=60")


@app.route("/api/conversations/{conversation_id}", methods=["DELETE"])
def delete_conversation(conversation_id: str) -> Response:
    from chalicelib import conversations

    token = _bearer()
    # With its delete token anyone may delete; without one, only its signed-in owner.
    owner = None if token else _user(required=False)
    conversations.delete(conversation_id, token or None, owner.sub if owner else None)
    return Response("", status_code=204, headers={"Cache-Control": NO_STORE})


def _bearer() -> str:
    header = app.current_request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@app.route("/api/conversations/{conversation_id}/key", methods=["GET"])
def check_delete_key(conversation_id: str) -> Response:
    """204 when the bearer token is this conversation's delete key, 403 when not: pages check a key from a
    link before keeping it."""
    from chalicelib import conversations

    if not conversations.token_matches(conversation_id, _bearer() or None):
        raise ApiError(403, "forbidden", "That is not this conversation's delete key.")
    return Response("", status_code=204, headers={"Cache-Control": NO_STORE})


@app.route("/api/conversations/{conversation_id}", methods=["PATCH"], content_types=["application/json"])
def update_conversation(conversation_id: str) -> Response:
    from chalicelib import conversations, validation

    user = _required_user()
    change = validation.parse_model(validation.UpdateConversation,
                                    validation.parse_json(app.current_request.raw_body or b""))
    return _json(conversations.update(conversation_id, user.sub, title=change.title, visibility=change.visibility))


@app.route("/api/conversations/{conversation_id}/save", methods=["POST", "DELETE"], content_types=ANY_BODY)
def save_conversation(conversation_id: str) -> Response:
    from chalicelib import saves

    user = _required_user()
    return _json(saves.set_saved(conversation_id, user.sub, app.current_request.method == "POST"))


@app.route("/api/conversations/{conversation_id}/comments", methods=["GET"])
def list_comments(conversation_id: str) -> Response:
    from chalicelib import comments

    user = _user(required=False, lenient=True)
    return _json(comments.list_comments(conversation_id, user.sub if user else None))


@app.route("/api/conversations/{conversation_id}/comments", methods=["POST"], content_types=["application/json"])
def add_comment(conversation_id: str) -> Response:
    from chalicelib import comments, ratelimit, validation

    cfg = settings.get()
    user = _required_user()
    body = validation.parse_model(validation.CreateComment, validation.parse_json(app.current_request.raw_body or b""))
    ratelimit.check("comment", user.sub, cfg.comment_limit, cfg.comment_window_seconds)
    return _json(comments.add(conversation_id, user.sub, user.name, body.position, body.content, body.parentId), 201)


@app.route("/api/conversations/{conversation_id}/comments/{comment_id}", methods=["DELETE"])
def delete_comment(conversation_id: str, comment_id: str) -> Response:
    from chalicelib import comments

    user = _required_user()
    return _json({"deleted": comments.delete(conversation_id, comment_id, user.sub)})


@app.route("/api/me", methods=["GET"])
def who_am_i() -> Response:
    user = _required_user()
    return _json({"id": user.sub, "email": user.email, "name": user.name})


def _leave(user: "User", mode: str) -> dict[str, int]:
    """Delete the account (`mode` "anonymize" keeps what they shared, without them) and end the session."""
    from chalicelib import accounts

    removed = accounts.delete_account(user, anonymize=mode == "anonymize")
    _set_cookies(sessions.cleared_cookies(_secure()))
    return removed


@app.route("/api/me", methods=["DELETE"], content_types=["application/json"])
def delete_me() -> Response:
    from chalicelib import validation

    user = _required_user()
    body = validation.parse_json(app.current_request.raw_body or b"") or {}
    mode = body.get("mode") if isinstance(body, dict) else None
    if mode not in ("delete", "anonymize"):
        raise bad_request("mode must be 'delete' (remove everything) or 'anonymize' (keep it, without you).", "mode")
    return _json({"deleted": True, **_leave(user, mode)})


@app.route("/api/me/conversations", methods=["GET"])
def my_conversations() -> Response:
    from chalicelib import conversations

    user = _required_user()
    rows, next_cursor = conversations.list_owned(user.sub, (app.current_request.query_params or {}).get("cursor"))
    return _json({"conversations": rows, "cursor": next_cursor})


@app.route("/api/me/saves", methods=["GET"])
def my_saves() -> Response:
    from chalicelib import saves

    user = _required_user()
    rows, next_cursor = saves.list_saved(user.sub, (app.current_request.query_params or {}).get("cursor"))
    return _json({"conversations": rows, "cursor": next_cursor})


@app.route("/api/me/status", methods=["GET"])
def my_status() -> Response:
    from chalicelib import saves

    user = _required_user()
    params = app.current_request.query_params or {}
    wanted = (params.get("ids") or "").split(",")
    return _json(saves.status(user.sub, [w for w in wanted if w], with_owned=params.get("owned") == "1"))


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
    match = _IDENTICON_RE.fullmatch(name)
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
