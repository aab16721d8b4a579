"""The HTTP side of every route: responses (JSON, pages with their CSP, redirects, error pages), the cookies a
request's handling decided on, and the Blueprint class the route modules use.

Imports only chalice and light modules: the short-link route loads this on every cold start.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from functools import lru_cache, wraps
from typing import Any

from chalice import Blueprint, Response

from . import settings
from .errors import ApiError, unavailable_from

NO_STORE = "no-store"
IMMUTABLE = "public, max-age=31536000, immutable"
FORM = "application/x-www-form-urlencoded"
# A button's fetch may post nothing, text/plain or form data. (Chalice refuses to deploy a route mixing binary
# types such as application/octet-stream with text ones.)
ANY_BODY = ["application/json", "text/plain", FORM, "multipart/form-data"]
# Chalice's own error bodies ({"Code", "Message"}) are reshaped into ours.
_CHALICE_CODES = {"UnsupportedMediaType": "unsupported_media_type", "MethodNotAllowedError": "method_not_allowed",
                  "BadRequestError": "invalid_request", "BadRequest": "invalid_request",
                  "NotFoundError": "not_found", "InternalServerError": "internal"}


class Routes(Blueprint):
    """A Chalice Blueprint whose views answer a failure to reach AWS with a 503 `unavailable` (Chalice would
    make any exception a bare 500, out of the middleware's sight)."""

    def route(self, path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
        register = super().route(path, **kwargs)

        def decorator(view: Callable[..., Any]) -> Any:
            @wraps(view)
            def guarded(*args: Any, **view_kwargs: Any) -> Any:
                try:
                    return view(*args, **view_kwargs)
                except ApiError:
                    raise
                except Exception as exc:
                    unavailable = unavailable_from(exc)
                    if unavailable is None:
                        raise
                    raise unavailable from exc
            return register(guarded)
        return decorator


# ---------------------------------------------------------------- responses

def _utf8_safe(text: str) -> str:
    """Text that encodes as UTF-8: input is checked on the way in, but a lone surrogate stored before that
    check would otherwise drop the connection of every read."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def json_response(body: Any, status: int = 200, cache: str = NO_STORE,
                  headers: Mapping[str, str | list[str]] | None = None) -> Response:
    return Response(_utf8_safe(json.dumps(body, separators=(",", ":"), ensure_ascii=False)), status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8", "Cache-Control": cache,
                             **(headers or {})})


def no_content() -> Response:
    return Response("", status_code=204, headers={"Cache-Control": NO_STORE})


@lru_cache(maxsize=1)
def csp() -> str:
    """Strict: scripts, workers and styles from this origin only; images also from the media host (avatars,
    images, cards); connections also to the bucket's upload address."""
    from urllib.parse import urlsplit

    def origin(url: str) -> str:
        parts = urlsplit(url)
        return f" {parts.scheme}://{parts.netloc}" if parts.netloc else ""

    cfg = settings.get()
    # Deployed, images are on the site's own origin ('self'): the CDN's page headers then equal these.
    media = origin(cfg.media_base_url)
    media = "" if media == origin(cfg.site_url) else media
    # connect-src: the bucket, where the import page uploads images with a presigned POST (nothing else).
    # style-src: the one inline stylesheet, by its hash (pages.style_source); img-src data: for the inline icon.
    from .pages import style_source  # lazy: only pages carry a CSP

    return (f"default-src 'none'; script-src 'self'; style-src 'self' {style_source()}; img-src 'self' data:{media}"
            f"; connect-src 'self'{origin(cfg.upload_url)}; worker-src 'self'; form-action 'self'; base-uri 'none'"
            "; frame-ancestors 'none'; object-src 'none'")


def html_response(body: str, status: int = 200, cache: str = "public, max-age=60", noindex: bool = False) -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": cache,
               "Content-Security-Policy": csp(), "Referrer-Policy": "strict-origin-when-cross-origin",
               "X-Frame-Options": "DENY"}
    if noindex:
        headers["X-Robots-Tag"] = "noindex, nofollow"
    return Response(_utf8_safe(body), status_code=status, headers=headers)


def private_page(body: str, status: int = 200) -> Response:
    """A page about the signed-in person: never cached, never indexed."""
    return html_response(body, status, cache=NO_STORE, noindex=True)


def redirect(location: str) -> Response:
    """303: after a form post (or to sign in first), the browser GETs `location`."""
    return Response("", status_code=303, headers={"Location": location, "Cache-Control": NO_STORE})


def page_not_found() -> Response:
    from . import pages  # lazy: Jinja stays off every JSON answer's cold start

    return html_response(pages.not_found_page(), 404, cache="public, max-age=60", noindex=True)


# ---------------------------------------------------------------- errors, whatever raised them

def error_response(exc: ApiError) -> Response:
    return json_response(exc.body(), exc.status, headers=exc.headers)


def reshaped_error(response: Response) -> Response:
    """Chalice's own error bodies ({"Code", "Message"}) in our envelope; any other response as it is."""
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or set(body) != {"Code", "Message"}:
        return response
    code = _CHALICE_CODES.get(body["Code"], "error")
    message = "An internal error occurred." if response.status_code >= 500 else body["Message"]
    return json_response({"error": {"code": code, "message": message}}, response.status_code,
                         headers={k: v for k, v in response.headers.items() if k.lower() == "allow"})


def wants_page(path: str | None, accept: str | None) -> bool:
    """A browser asking for a page (not the API, not an asset) gets a readable page, not JSON."""
    assets = ("/api/", "/static/", "/identicons/", "/cards/")
    return not (path or "").startswith(assets) and "text/html" in (accept or "")


def error_page(response: Response) -> Response:
    """A JSON error answer as the page a browser shows."""
    from . import pages  # lazy: Jinja stays off every JSON answer's cold start

    error = json.loads(response.body or "{}").get("error", {})
    if response.status_code == 404:
        html = pages.not_found_page()
    else:
        html = pages.not_found_page(error.get("message") or "Something went wrong.",
                                    heading="Something went wrong" if response.status_code >= 500 else "Not allowed")
    page = html_response(html, response.status_code, cache=NO_STORE, noindex=True)
    for kept in ("Retry-After", "Allow"):  # what the client is told to do next stays with the page
        if kept in response.headers:
            page.headers[kept] = response.headers[kept]
    return page


# ---------------------------------------------------------------- cookies decided while handling a request

_request_state = threading.local()


def set_cookies(values: list[str]) -> None:
    """Set-Cookie values for this request's response (a refreshed or an ended session)."""
    _request_state.cookies = values


def take_cookies() -> list[str] | None:
    """The Set-Cookie values decided so far, forgotten here (the middleware calls this once per request)."""
    values = getattr(_request_state, "cookies", None)
    _request_state.cookies = None
    return values
