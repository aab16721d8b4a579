"""Server-rendered pages (Jinja2, autoescaped): plain values in, HTML out.

Everything a page shows came from an untrusted client: text is escaped by the templates; the
only markup inserted as is (`| safe`) is message HTML that was sanitized when it was stored.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape as xml_escape

from . import settings
from .identicon import identicon_svg
from .keys import SOURCES
from .links import avatar_url
from .reasons import REASON_LABELS, REPORT_PHRASES
from .rendering import turn_text

if TYPE_CHECKING:
    from jinja2 import Environment

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".svg": "image/svg+xml"}
ROLE_NAMES = {"user": "User", "assistant": "Assistant", "system": "System", "tool": "Tool"}
# The assistants, as the pages name them.
SOURCE_NAMES = SOURCES
DESCRIPTION_MAX = 160
# The one way every page writes a date (app.js writes comments' the same way): "07 Dec 2026".
DAY = "%d %b %Y"
MAX_TRAIL = 20


@cache
def static_file(name: str) -> tuple[bytes, str] | None:
    """(content, content type) of a file in static/, or None; read once per process."""
    path = STATIC / name
    if "/" in name or name.startswith(".") or path.suffix not in STATIC_TYPES or not path.is_file():
        return None
    return path.read_bytes(), STATIC_TYPES[path.suffix]


@cache
def version(name: str) -> str:
    """A static file's content hash, as its URLs carry it."""
    found = static_file(name)
    return hashlib.sha256(found[0]).hexdigest()[:10] if found else "missing"


@cache
def template_version() -> str:
    """A hash of every template and static file: a published page drawn by other code is stale."""
    digest = hashlib.sha256()
    for folder in (HERE / "templates", STATIC):
        for path in sorted(folder.iterdir()):
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


@cache
def inline_css() -> str:
    """The stylesheet, minified and inlined in every page's <style>: a first visit then fetches one static
    file (the script) instead of two and paints without waiting for a second request. Its 4.7 KB gzipped on
    every view cost about what the file's request, bytes and log line did at 25% first visits
    (docs/performance.md)."""
    found = static_file("app.css")
    return minify_css(found[0].decode("utf-8")) if found else ""


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_STRING = re.compile(r"(\"[^\"]*\"|'[^']*')")


def minify_css(css: str) -> str:
    """Comments and needless whitespace out, strings untouched. Only what cannot change a rule goes: spaces
    around `{ } ; , >` and after `:` (never before: `a :hover` and `a:hover` differ), and a rule's last `;`."""
    parts = _CSS_STRING.split(_CSS_COMMENT.sub("", css))
    for index in range(0, len(parts), 2):  # the even parts are outside strings
        text = re.sub(r"\s+", " ", parts[index])
        text = re.sub(r"\s*([{};,>])\s*", r"\1", text)
        parts[index] = re.sub(r":\s+", ":", text).replace(";}", "}")
    return "".join(parts).strip()


@cache
def style_source() -> str:
    """The CSP source that allows exactly that <style> (its SHA-256): the app's pages and the CDN's policy
    for published ones (the deploy passes it to the stack) name the same."""
    import base64

    return "'sha256-" + base64.b64encode(hashlib.sha256(inline_css().encode("utf-8")).digest()).decode() + "'"


@cache
def icon_uri() -> str:
    """The site's icon as a data: URI in every page: browsers then never ask /favicon.ico (a request and a log
    line per first visit); crawlers still find it in the bucket at the edge."""
    from urllib.parse import quote

    found = static_file("icon.svg")
    return "data:image/svg+xml," + quote(found[0].decode("utf-8").strip(), safe=" /=:\"'") if found else ""


def asset(name: str) -> str:
    """A static file's URL with its content hash: cacheable forever, changed when the file is."""
    return f"/static/{name}?v={version(name)}"


@lru_cache(maxsize=1)
def _env() -> Environment:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["asset"] = asset
    env.globals["inline_css"] = inline_css
    env.globals["icon_uri"] = icon_uri
    env.globals["max_comment_chars"] = settings.MAX_COMMENT_CHARS
    return env


def _render(template: str, **values: Any) -> str:
    values.setdefault("canonical", None)
    values.setdefault("noindex", False)
    values.setdefault("section", None)
    return _env().get_template(template).render(**values)


def _parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def age(created_at: str, now: datetime | None = None) -> str:
    """'just now', '5 minutes ago', '3 days ago', or the date for anything older than a year."""
    created = _parse_iso(created_at)
    seconds = ((now or datetime.now(timezone.utc)) - created).total_seconds()
    for limit, unit, size in ((3600, "minute", 60), (86400, "hour", 3600), (86400 * 60, "day", 86400),
                              (86400 * 365, "month", 86400 * 30)):
        if seconds < limit:
            count = int(seconds // size)
            if count < 1:
                return "just now"
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return created.strftime(DAY)


def _with_age(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "age": age(row["createdAt"])} for row in rows]


def _description(conversation: dict[str, Any]) -> str:
    """Plain text of the first question, cut: never raw HTML (the original leaked markup here)."""
    first = next((m for m in conversation["messages"] if m["role"] == "user"), None)
    text = " ".join((turn_text(first.get("content")) or "").split()) if first else ""
    text = text or conversation["title"]
    return text if len(text) <= DESCRIPTION_MAX else text[: DESCRIPTION_MAX - 1].rsplit(" ", 1)[0] + "…"


def conversation_page(conversation: dict[str, Any], short_url: str, comments: dict[str, Any]) -> str:
    """The page every reader gets (published to S3): nothing in it depends on who asks. `comments` are the
    anonymous reader's (comments.list_comments without a user), carried as data for the comments panel."""
    cid = conversation["id"]
    return _render(
        "conversation.html", c=conversation, short_url=short_url, description=_description(conversation),
        source_name=SOURCE_NAMES.get(conversation.get("source") or "", conversation.get("source")),
        comments={"count": comments["count"], "positions": comments["positions"], "off": bool(comments.get("off"))},
        # The generated avatar drawn into the page: one request less per view, and none to Lambda.
        identicon=identicon_svg(cid) if conversation["avatar"] == avatar_url(None, cid) else None,
        template_version=template_version(),
        canonical=f"{settings.get().site_url}/c/{conversation['id']}",
        noindex=conversation["visibility"] != "public", role_names=ROLE_NAMES,
        created_label=_day(conversation["createdAt"]),
        started_label=_day(conversation["startedAt"]) if conversation.get("startedAt") else None)


def _moment(iso: str) -> str:
    """A time as every page writes one: "07 Dec 2026, 14:03 UTC"."""
    return _parse_iso(iso).strftime(f"{DAY}, %H:%M UTC")


def _day(iso: str) -> str:
    """An ISO time as the page's date: 14 Mar 2023."""
    return _parse_iso(iso).strftime(DAY)


def _explore_href(tab: str, q: str, cursor: str | None, trail: list[str], source: str | None = None) -> str:
    params = {"tab": tab, **({"q": q} if q else {}), **({"source": source} if source else {}),
              **({"cursor": cursor} if cursor else {}), **({"trail": ".".join(trail)} if trail else {})}
    return "/explore?" + urlencode(params)


def explore_page(tab: str, q: str, rows: list[dict[str, Any]], cursor: str | None, next_cursor: str | None,
                 trail: list[str], source: str | None = None) -> str:
    """Explore: `trail` holds the cursors of the pages before this one (empty string = first page); `source`
    lists one assistant's conversations (newest first)."""
    next_href = (_explore_href(tab, q, next_cursor, (trail + [cursor or ""])[-MAX_TRAIL:], source)
                 if next_cursor else None)
    prev_href = None
    if cursor:
        previous = trail[-1] if trail else ""
        prev_href = _explore_href(tab, q, previous or None, trail[:-1], source)
    return _render("explore.html", section="explore", tab=tab, q=q, rows=_with_age(rows), next_href=next_href,
                   prev_href=prev_href, canonical=f"{settings.get().site_url}/explore", source=source,
                   source_names=SOURCE_NAMES,
                   # The order and assistant links keep the search (and each other): the first page of each.
                   filtered=lambda to_tab, to_source: _explore_href(to_tab, q, None, [], to_source))


def home_page(count: int, latest: list[dict[str, Any]], top: list[dict[str, Any]],
              account_deleted: bool = False) -> str:
    cfg = settings.get()
    return _render("home.html", count=count, latest=_with_age(latest), top=top, site_url=cfg.site_url,
                   canonical=f"{cfg.site_url}/", account_deleted=account_deleted, source_names=SOURCE_NAMES)


def mine_page(user: Any, rows: list[dict[str, Any]], next_cursor: str | None) -> str:
    """My shares: the signed-in owner's conversations (if any), plus what this browser holds keys for."""
    return _render("mine.html", section="mine", noindex=True, user=user, rows=_with_age(rows),
                   reason_labels=REASON_LABELS, abuse_email=settings.get().abuse_email,
                   next_href=f"/mine?{urlencode({'cursor': next_cursor})}" if next_cursor else None)


def report_page(conversation: str, comment: str, *, error: str | None = None, sent: bool = False,
                fields: dict[str, str] | None = None, title: str | None = None) -> str:
    """The report form (a plain form: no script needed) naming what is reported, or its thank-you."""
    return _render("report.html", noindex=True, conversation=conversation, comment=comment, error=error,
                   sent=sent, fields=fields or {}, reasons=REPORT_PHRASES, title=title)


def dataset_page(latest: dict[str, Any] | None) -> str:
    """/dataset: the latest snapshot's figures, how to load it, how to donate and withdraw."""
    cfg = settings.get()
    size = None
    if latest:
        size = next(f"{latest['bytes'] / unit:.1f} {name}" for unit, name in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB"),
                                                                               (1, "B")) if latest["bytes"] >= unit
                    or unit == 1)
    return _render("dataset.html", canonical=f"{cfg.site_url}/dataset", latest=latest, size=size,
                   site_url=cfg.site_url, source_names=SOURCES, section="dataset",
                   cooling=f"{cfg.dataset_cooling_hours:g}", retention=cfg.dataset_retention_days)


def abuse_page() -> str:
    return _render("abuse.html", canonical=f"{settings.get().site_url}/abuse", abuse_email=settings.get().abuse_email)


ACTION_LABELS = {"dismiss": "Dismiss", "unlist": "Unlist", "restore": "Restore", "takedown": "Take down",
                 "hide_comment": "Hide the comment", "suspend_owner": "Suspend the owner"}
ACTION_CONFIRMS = {"takedown": "Take this conversation down? It is deleted for good and its images are blocked.",
                   "suspend_owner": "Suspend its owner? Their account is disabled and their conversations held."}


def moderation_page(rows: list[dict[str, Any]], next_cursor: str | None, done: str = "",
                    problem: dict[str, str] | None = None) -> str:
    """The moderators' queue: each case's conversation (title, source, state), reasons, notes (text), a
    collapsed preview of the stored sanitized HTML, and the actions that make sense for it; `problem`, a
    refused action's case, message and statement, shown on that case with what was typed kept."""
    return _render("moderation.html", noindex=True, section="moderation", rows=rows, reasons=REASON_LABELS,
                   done=done, problem=problem or {}, labels=ACTION_LABELS, confirms=ACTION_CONFIRMS,
                   sources=SOURCE_NAMES,
                   next_href=f"/moderation?{urlencode({'cursor': next_cursor})}" if next_cursor else None)


def moderation_log_page(entries: list[dict[str, Any]], next_cursor: str | None) -> str:
    for entry in entries:
        entry["when"] = _moment(entry["at"])
    return _render("moderation_log.html", noindex=True, section="moderation", entries=entries,
                   next_href=f"/moderation/log?{urlencode({'cursor': next_cursor})}" if next_cursor else None)


def import_page() -> str:
    return _render("import.html", section="import", canonical=f"{settings.get().site_url}/import")


def saved_page(rows: list[dict[str, Any]], next_cursor: str | None) -> str:
    return _render("saved.html", section="saved", noindex=True, rows=_with_age(rows),
                   next_href=f"/saved?{urlencode({'cursor': next_cursor})}" if next_cursor else None)


AUTH_TITLES = {"signin": "Sign in", "signup": "Create an account", "confirm": "Confirm your email",
               "reset": "Reset your password", "reset-finish": "Choose a new password"}


def auth_page(mode: str, *, error: str | None = None, info: str | None = None, email: str = "", name: str = "",
              code: str = "", next: str = "/mine") -> str:  # noqa: A002 (the form field's name)
    """The sign-in, sign-up, confirmation and password-reset forms (plain HTML forms: no script needed)."""
    return _render("auth.html", section="account", noindex=True, mode=mode, heading=AUTH_TITLES[mode],
                   error=error, info=info, email=email, name=name, code=code, next=next)


def account_page(user: Any) -> str:
    return _render("account.html", section="account", noindex=True, user=user)


def not_found_page(message: str = "There is no conversation here. It may have been deleted by its owner.",
                   heading: str = "Not found") -> str:
    return _render("not_found.html", message=message, heading=heading, noindex=True)


def sitemap_xml(entries: list[tuple[str, str]]) -> str:
    """`entries`: (conversation id, ISO creation time) of public conversations only."""
    site = settings.get().site_url
    urls = "".join(f"<url><loc>{xml_escape(f'{site}/c/{cid}')}</loc><lastmod>{created[:10]}</lastmod></url>"
                   for cid, created in entries)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{xml_escape(site)}/</loc></url><url><loc>{xml_escape(site)}/explore</loc></url>{urls}</urlset>\n")


