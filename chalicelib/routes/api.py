"""The conversation API the extension and scripts call: share, read, list, search, count, export, change,
delete; and the OpenAPI document that describes every route."""
from __future__ import annotations

from chalice import Response

from .. import callers, settings
from ..errors import ApiError, bad_request
from ..http import Routes, json_response, no_content

routes = Routes(__name__)


@routes.route("/api/conversations", methods=["POST"], content_types=["application/json", "text/plain"])
def create_conversation() -> Response:
    from .. import ratelimit, sharing

    request = routes.current_request
    cfg = settings.get()
    raw = callers.raw_body(request)
    if len(raw) > cfg.max_body_bytes:
        raise ApiError(413, "payload_too_large", f"The body may be at most {cfg.max_body_bytes} bytes.")
    owner = callers.optional_user(request)
    ratelimit.check("create", callers.client(request), cfg.create_limit, cfg.create_window_seconds)
    return json_response(sharing.create(raw, owner=owner.sub if owner else None), 201)


@routes.route("/api/media", methods=["POST"], content_types=["application/json"])
def request_media_upload() -> Response:
    from .. import media, ratelimit, validation

    request = routes.current_request
    cfg = settings.get()
    upload = validation.parse_model(validation.MediaUpload, callers.json_body(request))
    ratelimit.check("media", callers.client(request), cfg.media_limit_per_hour, 3600)
    return json_response(media.request_upload(upload.sha256, upload.size, upload.contentType))


@routes.route("/api/conversations", methods=["GET"])
def list_conversations() -> Response:
    from urllib.parse import urlencode

    from .. import listings

    params = callers.query(routes.current_request)
    kind = params.get("type", "top")  # "type=" is not a type: 400
    search = params.get("search") or None
    source = params.get("source")  # present but empty or unknown: a 400 naming it
    rows, next_cursor = listings.list_public(kind, callers.int_param(params, "page"), params.get("cursor") or None,
                                             search, source=source)
    headers = {}
    if next_cursor:
        query = {"type": kind, **({"search": search} if search else {}), **({"source": source} if source else {}),
                 "cursor": next_cursor}
        headers["Link"] = f'</api/conversations?{urlencode(query)}>; rel="next"'
    return json_response(rows, cache="public, max-age=30", headers=headers)


@routes.route("/api/conversations/count", methods=["GET"])
def count_conversations() -> Response:
    from .. import listings

    count, capped = listings.count_public(callers.query(routes.current_request).get("search") or None)
    # The body stays the bare number the original API answered; a capped count says so in a header.
    return json_response(count, cache="public, max-age=30", headers={"X-Count-Capped": "true"} if capped else None)


@routes.route("/api/conversations/{conversation_id}", methods=["GET"])
def get_conversation(conversation_id: str) -> Response:
    from .. import conversations

    cache = callers.edge_cache(routes.current_request, "public, max-age=60")
    return json_response(conversations.get(conversation_id), cache=cache)


@routes.route("/api/conversations/{conversation_id}/export", methods=["GET"])
def export_conversation(conversation_id: str) -> Response:
    from .. import conversations, export

    request = routes.current_request
    fmt = callers.query(request).get("format", "markdown")  # "format=" is not a format
    if fmt not in export.FORMATS:
        raise bad_request("format must be one of: " + ", ".join(export.FORMATS), "format")
    body, content_type, filename = export.export(conversations.get(conversation_id), fmt)
    cache = callers.edge_cache(request, "public, max-age=300", allowed="format")
    return Response(body, headers={"Content-Type": content_type, "Cache-Control": cache,
                                   "Content-Disposition": f'attachment; filename="{filename}"'})


@routes.route("/api/conversations/{conversation_id}", methods=["PATCH"], content_types=["application/json"])
def update_conversation(conversation_id: str) -> Response:
    from .. import conversations, ratelimit, sharing, validation

    request = routes.current_request
    cfg = settings.get()
    token = callers.bearer_token(request)  # the delete key also proves ownership
    user = None if token else callers.signed_in_user(request)
    change = validation.parse_model(validation.UpdateConversation, callers.json_body(request))
    # Each edit draws, stores and invalidates a page: a client may not make that free to repeat.
    ratelimit.check("edit", callers.client(request), cfg.edit_limit, cfg.edit_window_seconds)
    donation = change.dataset if "dataset" in change.model_fields_set else conversations.KEEP_DONATION
    return json_response(sharing.update(conversation_id, user.sub if user else None, title=change.title,
                                        visibility=change.visibility, comments=change.comments, token=token,
                                        dataset=donation))


@routes.route("/api/conversations/{conversation_id}", methods=["DELETE"])
def delete_conversation(conversation_id: str) -> Response:
    from .. import sharing

    request = routes.current_request
    token = callers.bearer_token(request)
    # With its delete token anyone may delete; without one, only its signed-in owner.
    owner = None if token else callers.optional_user(request)
    sharing.delete(conversation_id, token or None, owner.sub if owner else None)
    return no_content()


@routes.route("/api/conversations/{conversation_id}/dataset", methods=["GET"])
def preview_donation(conversation_id: str) -> Response:
    """Its owner's preview of what the open dataset publishes of it (scrubbed), and the donation's state."""
    from .. import ratelimit, sharing

    request = routes.current_request
    token = callers.bearer_token(request)
    owner = None if token else callers.signed_in_user(request)
    cfg = settings.get()
    # Scrubbing a long conversation is real work: as bounded per client as an edit.
    ratelimit.check("preview", callers.client(request), cfg.edit_limit, cfg.edit_window_seconds)
    return json_response(sharing.dataset_preview(conversation_id, token or None, owner.sub if owner else None))


@routes.route("/api/conversations/{conversation_id}/key", methods=["GET"])
def check_delete_key(conversation_id: str) -> Response:
    """204 when the bearer token is this conversation's delete key, 403 when not: pages check a key from a
    link before keeping it."""
    from .. import conversations

    token = callers.bearer_token(routes.current_request)
    if not token:
        raise ApiError(401, "unauthorized", "Send the delete key as `Authorization: Bearer <key>`.")
    if not conversations.token_matches(conversation_id, token):
        raise ApiError(403, "forbidden", "That is not this conversation's delete key.")
    return no_content()


@routes.route("/api/keys", methods=["POST"], content_types=["application/json"])
def check_delete_keys() -> Response:
    """What a browser's stored keys still hold: its My shares list shows current titles and drops the rest."""
    from .. import conversations, ratelimit, validation

    request = routes.current_request
    check = validation.parse_model(validation.KeyCheck, callers.json_body(request))
    cfg = settings.get()
    ratelimit.check("keys", callers.client(request), cfg.keys_limit, cfg.edit_window_seconds)
    return json_response(conversations.keys_held([(k.id, k.token) for k in check.keys]))


@routes.route("/api/openapi.json", methods=["GET"])
def openapi() -> Response:
    from ..openapi import spec

    return json_response(spec(), cache="public, max-age=300")
