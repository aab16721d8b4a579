"""What signed-in people do with conversations: save them, comment on messages, list their own and their saves."""
from __future__ import annotations

from chalice import Response

from .. import callers, settings
from ..http import ANY_BODY, Routes, json_response

routes = Routes(__name__)


@routes.route("/api/conversations/{conversation_id}/save", methods=["POST", "DELETE"], content_types=ANY_BODY)
def save_conversation(conversation_id: str) -> Response:
    from .. import published, saves

    request = routes.current_request
    user = callers.signed_in_user(request)
    outcome = saves.set_saved(conversation_id, user.sub, request.method == "POST")
    if outcome.crossed:
        published.publish_after_change(conversation_id)  # the page prints the count: drawn again at a step
    return json_response(outcome.answer)


@routes.route("/api/conversations/{conversation_id}/comments", methods=["GET"])
def list_comments(conversation_id: str) -> Response:
    from .. import comments

    user = callers.optional_user(routes.current_request)
    return json_response(comments.list_comments(conversation_id, user.sub if user else None))


@routes.route("/api/conversations/{conversation_id}/comments", methods=["POST"], content_types=["application/json"])
def add_comment(conversation_id: str) -> Response:
    from .. import comments, published, ratelimit, validation

    cfg = settings.get()
    user = callers.signed_in_user(routes.current_request)
    body = validation.parse_model(validation.CreateComment, callers.json_body(routes.current_request))
    ratelimit.check("comment", user.sub, cfg.comment_limit, cfg.comment_window_seconds)
    comment = comments.add(conversation_id, user.sub, user.name, body.position, body.content, body.parentId)
    published.publish_after_change(conversation_id)  # the page shows it
    return json_response(comment, 201)


@routes.route("/api/conversations/{conversation_id}/comments/{comment_id}", methods=["DELETE"])
def delete_comment(conversation_id: str, comment_id: str) -> Response:
    from .. import comments, published

    user = callers.signed_in_user(routes.current_request)
    deleted = comments.delete(conversation_id, comment_id, user.sub)
    published.publish_after_change(conversation_id)  # the page must stop showing it
    return json_response({"deleted": deleted})


@routes.route("/api/me/conversations", methods=["GET"])
def my_conversations() -> Response:
    from .. import listings

    user = callers.signed_in_user(routes.current_request)
    rows, next_cursor = listings.list_owned(user.sub, callers.query(routes.current_request).get("cursor"))
    return json_response({"conversations": rows, "cursor": next_cursor})


@routes.route("/api/me/saves", methods=["GET"])
def my_saves() -> Response:
    from .. import saves

    user = callers.signed_in_user(routes.current_request)
    rows, next_cursor = saves.list_saved(user.sub, callers.query(routes.current_request).get("cursor"))
    return json_response({"conversations": rows, "cursor": next_cursor})


@routes.route("/api/me/status", methods=["GET"])
def my_status() -> Response:
    from .. import saves

    user = callers.signed_in_user(routes.current_request)
    params = callers.query(routes.current_request)
    wanted = (params.get("ids") or "").split(",")
    return json_response(saves.status(user.sub, [w for w in wanted if w], with_owned=params.get("owned") == "1"))
