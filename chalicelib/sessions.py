"""The browser session: cookies holding Cognito's tokens, and the CSRF rule for writes made with them.

- `sg_session`: the ID token (HttpOnly; JavaScript never sees it).
- `sg_refresh`: the refresh token (HttpOnly), so a session outlives the hour an ID token lasts.
- `sg_user`: "1", readable by the page's script, only to know whether to ask for per-user state.

This module is imported by app.py on every cold start, so what it needs is imported where used.
All are SameSite=Lax, and Secure except on a plain-http localhost site. Lax already keeps them off
cross-site POSTs in today's browsers; the Origin check below is the rule that does not depend on it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .auth import User
    from .errors import ApiError

SESSION, REFRESH, HINT = "sg_session", "sg_refresh", "sg_user"
# Cognito's refresh tokens last 30 days by default; the cookie need not outlive it.
REFRESH_MAX_AGE = 30 * 24 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def read_cookies(header: str | None) -> dict[str, str]:
    """Cookie header to {name: value}; a malformed header reads as no cookies."""
    if not header:
        return {}
    from http.cookies import CookieError, SimpleCookie  # ~3 ms: kept off the short-link path

    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _cookie(name: str, value: str, max_age: int, secure: bool, http_only: bool = True) -> str:
    parts = [f"{name}={value}", "Path=/", f"Max-Age={max_age}", "SameSite=Lax"]
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def session_cookies(id_token: str, refresh_token: str | None, secure: bool) -> list[str]:
    """Set-Cookie values starting (or, without a refresh token, renewing) a session. The hint says "m" for a
    moderator, so pages can show the Moderation link; it grants nothing (every moderation route verifies the
    group from the signed token)."""
    hint = "m" if _claims_moderator(id_token) else "1"
    cookies = [_cookie(SESSION, id_token, REFRESH_MAX_AGE, secure), _cookie(HINT, hint, REFRESH_MAX_AGE, secure,
                                                                            http_only=False)]
    if refresh_token:
        cookies.append(_cookie(REFRESH, refresh_token, REFRESH_MAX_AGE, secure))
    return cookies


def _claims_moderator(id_token: str) -> bool:
    """Whether the token's payload names the moderators group (unverified: it only picks the hint)."""
    import base64
    import json

    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return "moderators" in (claims.get("cognito:groups") or [])
    except (IndexError, ValueError, AttributeError, TypeError):
        return False


def cleared_cookies(secure: bool) -> list[str]:
    """Set-Cookie values ending the session."""
    return [_cookie(name, "", 0, secure, http_only=name != HINT) for name in (SESSION, REFRESH, HINT)]


def has_session(cookies: dict[str, str]) -> bool:
    return bool(cookies.get(SESSION) or cookies.get(REFRESH))


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None


def same_origin_write(origin: str | None, referer: str | None, site_url: str,
                      extension_origins: tuple[str, ...]) -> bool:
    """May a cookie-authenticated write with these headers proceed?

    Yes when it comes from the site itself, or from a browser extension origin allowed by settings
    (a web page cannot claim one). Browsers send Origin on every POST, PUT, PATCH and DELETE; when
    it is missing, the Referer's origin must match instead; with neither, no.
    """
    from fnmatch import fnmatchcase

    site = _origin_of(site_url)
    claimed = (origin or "").strip().lower()
    if claimed and claimed != "null":
        return claimed == site or any(fnmatchcase(claimed, pattern.lower()) for pattern in extension_origins)
    if referer:
        return _origin_of(referer) == site
    return False


def csrf_message(origin: str | None, referer: str | None, site_url: str) -> str:
    """Why a signed-in write was refused: a browser is told to reload; a script that sent neither header (an API
    client with the session cookies) is told which header to send."""
    if not (origin or "").strip() and not referer:
        return (f"A signed-in write needs an `Origin: {_origin_of(site_url)}` header (browsers send it; a script "
                "must send it itself, see docs/api.md).")
    return "This request did not come from this site. Reload the page and try again."


class Outcome(NamedTuple):
    """Who a request's cookies say the caller is, the Set-Cookie values to answer with, and what went wrong."""
    user: User | None
    set_cookies: list[str] | None = None
    error: ApiError | None = None


def authenticate(cookie_header: str | None, method: str, origin: str | None, referer: str | None, *,
                 site_url: str, extension_origins: tuple[str, ...], secure: bool) -> Outcome:
    """Check a request's session: CSRF first for writes, then the ID token, renewed from the refresh
    token when only its time is up (one Cognito call). A session that fails (401) is ended: the
    outcome carries cookies that clear it. Other failures (Cognito unreachable) keep the cookies.
    """
    # lazy: a request without a session cookie (the short link, any reader) loads neither.
    from .auth import TokenExpired, verify
    from .errors import ApiError

    cookies = read_cookies(cookie_header)
    if not has_session(cookies):
        return Outcome(None)
    if method not in SAFE_METHODS and not same_origin_write(origin, referer, site_url, extension_origins):
        return Outcome(None, error=ApiError(403, "csrf", csrf_message(origin, referer, site_url)))
    try:
        try:
            if not cookies.get(SESSION):
                raise TokenExpired(401, "token_expired", "The session has expired.")
            return Outcome(verify(cookies[SESSION]))
        except TokenExpired:
            if not cookies.get(REFRESH):
                raise
            from .accounts import refresh  # lazy: only when a session's ID token has expired

            renewed = refresh(cookies[REFRESH])
            return Outcome(verify(renewed.id_token), session_cookies(renewed.id_token, None, secure))
    except ApiError as exc:
        return Outcome(None, cleared_cookies(secure) if exc.status == 401 else None, exc)
