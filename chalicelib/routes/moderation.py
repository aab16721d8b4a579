"""Reports and moderation: anyone reports (a form or JSON), moderators work a queue and act, every action is
logged; the abuse page says how it works."""
from __future__ import annotations

from typing import Any

from chalice import Response

from .. import callers
from ..errors import ApiError, bad_request
from ..http import FORM, Routes, html_response, json_response, private_page, redirect

routes = Routes(__name__)
_POSTED = ["application/json", FORM]


def _report_fields(fields: dict[str, str]) -> tuple[str, str | None, str, str, str]:
    from ..text import plain_text

    note = fields.get("note") or ""
    if len(note) > 1000:
        raise bad_request("note may be at most 1,000 characters.", "note")
    contact = (fields.get("contact") or "").strip()
    if contact and (len(contact) > 320 or "@" not in contact or any(c.isspace() for c in contact)):
        raise bad_request("contact must be an email address (or left out).", "contact")
    conversation = fields.get("conversation") or ""
    if not conversation:
        raise bad_request("conversation is required.", "conversation")
    # Stored and shown as plain text: HTML in a note is text, never markup.
    return (conversation, fields.get("comment") or None, fields.get("reason") or "", plain_text(note, 1000),
            plain_text(contact, 320))


@routes.route("/api/reports", methods=["POST"], content_types=["application/json"])
def report_api() -> Response:
    from .. import moderation

    request = routes.current_request
    body = callers.json_body(request)
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.", code="invalid_json")
    fields = {k: v for k, v in body.items() if isinstance(v, str)}
    for name in ("conversation", "comment", "reason", "note", "contact"):
        if name in body and body[name] is not None and not isinstance(body[name], str):
            raise bad_request(f"{name} must be a string.", name)
    user = callers.optional_user(request)  # a cookie-carrying write must come from this site (403 csrf otherwise)
    conversation, comment, reason, note, contact = _report_fields(fields)
    return json_response(moderation.report(conversation, comment, reason, note, contact, callers.network(request),
                                           user.sub if user else None), 202)


@routes.route("/report", methods=["GET"])
def report_form() -> Response:
    from .. import conversations, pages

    params = callers.query(routes.current_request)
    conversation = params.get("conversation", "")[:20]
    return private_page(pages.report_page(conversation, params.get("comment", "")[:40],
                                          title=conversations.title_of(conversation)))


@routes.route("/report", methods=["POST"], content_types=[FORM])
def report_post() -> Response:
    from .. import moderation, pages

    request = routes.current_request
    fields, _ = callers.posted(request)
    try:
        user = callers.optional_user(request)
    except ApiError as exc:
        if exc.status != 401:  # a form from another site is still refused; an ended session reports anonymously
            raise
        user = None
    conversation, comment = (fields.get("conversation") or "")[:20], (fields.get("comment") or "")[:40]
    try:
        parsed = _report_fields(fields)
        moderation.report(*parsed, network=callers.network(request), account=user.sub if user else None)
    except ApiError as exc:
        if exc.status not in (400, 404, 429):
            raise
        from .. import conversations

        return private_page(pages.report_page(conversation, comment, error=exc.message, fields=fields,
                                              title=conversations.title_of(conversation)), exc.status)
    return private_page(pages.report_page(conversation, comment, sent=True))


@routes.route("/abuse", methods=["GET"])
def abuse() -> Response:
    from .. import pages

    return html_response(pages.abuse_page(), cache="public, max-age=3600")


# ---------------------------------------------------------------- moderators

@routes.route("/api/moderation/reports", methods=["GET"])
def queue_api() -> Response:
    from .. import moderation

    callers.moderator(routes.current_request)
    rows, next_cursor = moderation.queue(callers.query(routes.current_request).get("cursor") or None)
    return json_response({"reports": rows, "next": next_cursor}, headers={"Cache-Control": "private, no-store"})


@routes.route("/api/moderation/actions", methods=["POST"], content_types=["application/json"])
def action_api() -> Response:
    from .. import moderation

    request = routes.current_request
    user = callers.moderator(request)
    body = callers.json_body(request)
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.", code="invalid_json")
    for name in ("conversation", "comment", "action", "reason"):
        if name in body and body[name] is not None and not isinstance(body[name], str):
            raise bad_request(f"{name} must be a string.", name)
    if not body.get("conversation"):
        raise bad_request("conversation is required.", "conversation")
    return json_response(moderation.act(user, body["conversation"], body.get("comment") or None,
                                        body.get("action") or "", body.get("reason") or ""))


@routes.route("/api/moderation/log", methods=["GET"])
def log_api() -> Response:
    from .. import moderation

    callers.moderator(routes.current_request)
    entries, next_cursor = moderation.audit_log(callers.query(routes.current_request).get("cursor") or None)
    return json_response({"entries": entries, "next": next_cursor})


def _sign_in_first(request: Any) -> Response | None:
    """A moderators' page: signed out, to the sign-in form and back here; signed in but not a moderator, 403."""
    if callers.optional_user(request) is None:
        return redirect(f"/signin?next={request.path if request.path.startswith('/moderation') else '/moderation'}")
    callers.moderator(request)
    return None


@routes.route("/moderation", methods=["GET"])
def queue_page() -> Response:
    from .. import moderation, pages

    request = routes.current_request
    if (signed_out := _sign_in_first(request)) is not None:
        return signed_out
    params = callers.query(request)
    try:
        rows, next_cursor = moderation.queue(params.get("cursor") or None)
    except ApiError:
        rows, next_cursor = moderation.queue()
    return private_page(pages.moderation_page(rows, next_cursor, done=params.get("done", "")[:40]))


@routes.route("/moderation/actions", methods=["POST"], content_types=[FORM])
def action_form() -> Response:
    from urllib.parse import urlencode

    from .. import moderation

    request = routes.current_request
    user = callers.moderator(request)
    fields, _ = callers.posted(request)
    if not fields.get("conversation"):
        raise bad_request("conversation is required.", "conversation")
    try:
        moderation.act(user, fields["conversation"], fields.get("comment") or None, fields.get("action") or "",
                       fields.get("reason") or "")
    except ApiError as exc:
        if exc.status != 400:
            raise
        # The queue again, the case saying what is missing and keeping what was typed: never a dead end.
        from .. import pages

        rows, next_cursor = moderation.queue()
        comment = fields.get("comment") or None
        if not any(r["conversation"] == fields["conversation"] and r["comment"] == comment for r in rows):
            row = moderation.case_row(fields["conversation"], comment)
            rows = ([row] if row else []) + rows
        problem = {"conversation": fields["conversation"], "comment": comment or "",
                   "message": exc.message, "reason": fields.get("reason") or ""}
        return private_page(pages.moderation_page(rows, next_cursor, problem=problem), 400)
    return redirect("/moderation?" + urlencode({"done": f"{fields.get('action')} {fields['conversation']}"}))


@routes.route("/moderation/log", methods=["GET"])
def log_page() -> Response:
    from .. import moderation, pages

    request = routes.current_request
    if (signed_out := _sign_in_first(request)) is not None:
        return signed_out
    try:
        entries, next_cursor = moderation.audit_log(callers.query(request).get("cursor") or None)
    except ApiError:
        entries, next_cursor = moderation.audit_log()
    return private_page(pages.moderation_log_page(entries, next_cursor))
