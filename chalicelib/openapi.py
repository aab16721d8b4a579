"""The OpenAPI 3.1 description of the API, with schemas generated from the pydantic models."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from . import settings
from . import validation as v
from .keys import SOURCES
from .reasons import ACTIONS, REASONS

_REF = "#/components/schemas/{model}"


def _json(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _error(description: str) -> dict[str, Any]:
    return _json("ErrorResponse", description)


def _param(name: str, where: str, schema: dict[str, Any], description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema,
            "description": description}


def _page(summary: str) -> dict[str, Any]:
    return {"summary": summary, "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}}}


def _body(model: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": _REF.format(model=model)}}}}


def _object(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"type": "object"}}}}


def _form(summary: str, model: str | None, json_too: bool = True,
          answers: dict[str, Any] | None = None) -> dict[str, Any]:
    """A form post of the account pages: HTML (303 or the form again) for forms, JSON for JSON bodies;
    `answers`: the route's own statuses besides those every form has."""
    schema = {"$ref": _REF.format(model=model)} if model else {"type": "object"}
    content = {"application/x-www-form-urlencoded": {"schema": schema}}
    if json_too:
        content["application/json"] = {"schema": schema}
    return {"summary": summary, "description": "Form posts get a 303 redirect or the form with its error; JSON "
                                               "bodies get JSON. Refused (403) from another Origin.",
            "requestBody": {"required": True, "content": content},
            "responses": {"200": {"description": "Done (JSON) or the next form (HTML)"},
                          "303": {"description": "Done: to the next page, with Set-Cookie"},
                          "400": _error("Invalid input"), "401": _error("Wrong email or password"),
                          "403": _error("Another origin"), "415": _error("Another content type"),
                          "429": _error("Too many attempts; see Retry-After"),
                          **(answers or {})}}


_ID = _param("id", "path", {"type": "string", "pattern": "^[0-9A-Za-z]{7}$"}, "Conversation id.")
_REPORT = {"type": "object", "required": ["conversation", "reason"], "properties": {
    "conversation": {"type": "string"}, "comment": {"type": "string"},
    "reason": {"enum": list(REASONS)},
    "note": {"type": "string", "maxLength": 1000}, "contact": {"type": "string", "maxLength": 320}}}
_ACTION = {"type": "object", "required": ["conversation", "action"], "properties": {
    "conversation": {"type": "string"}, "comment": {"type": "string"},
    "action": {"enum": list(ACTIONS)},
    "reason": {"type": "string", "maxLength": 1000, "description": "The statement of reasons shown to the owner"}}}


# Routes that read no database (and the short link, which also needs no origin secret).
_NO_DATABASE = {"/{id}", "/static/{name}", "/identicons/{name}", "/robots.txt", "/favicon.ico", "/api/openapi.json",
                "/import"}
# Routes that take a body of any type (a button): every other refuses one it does not read (415).
_ANY_BODY = {"/api/conversations/{id}/save"}


def _common_answers(paths: dict[str, Any]) -> None:
    """What any route may answer besides its own: 403 `direct_access` (a call that did not come through the
    site's CDN, where an origin secret is set), 503 `unavailable` (the database did not answer; Retry-After),
    405 for a method the path does not have, 415 for a Content-Type it does not take, and 500 `internal` for
    a failure of ours (never for what a client sends; no details)."""
    for path, operations in paths.items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if path != "/{id}":
                responses.setdefault("403", _error("Not through the site's CDN (`direct_access`), or refused"))
            if path not in _NO_DATABASE:
                responses.setdefault("503", _error("The database did not answer; retry after Retry-After"))
            responses.setdefault("405", _error("Method not allowed"))
            if path not in _ANY_BODY:
                responses.setdefault("415", _error("A Content-Type this operation does not take"))
            responses.setdefault("500", _error("`internal`: a failure of ours, without details (HTML for pages)"))


def _with_head(item: dict[str, Any]) -> dict[str, Any]:
    """A file's GET, and its HEAD: the same answer without a body (readers ask a file's size first)."""
    get = item["get"]
    head = {"summary": get["summary"] + ": its headers only", "responses": {
        status: {"description": answer["description"]} for status, answer in get["responses"].items()}}
    return item | {"head": head | ({"parameters": get["parameters"]} if "parameters" in get else {})}


@lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    """The whole document (built once per process)."""

    models: list[type[BaseModel]] = [
        v.CreateConversation, v.CreatedResponse, v.ConversationRow, v.Conversation, v.ErrorResponse,
        v.UpdateConversation, v.MediaUpload, v.MediaUploadResponse, v.KeyCheck, v.KeysHeld, v.CreateComment,
        v.SignUp, v.Credentials, v.PasswordReset, v.DonationPreview]
    modes: list[tuple[type[BaseModel], JsonSchemaMode]] = [(m, "validation") for m in models]
    _, defs = models_json_schema(modes, ref_template=_REF)
    schemas = defs.get("$defs", {})
    cfg = settings.get()
    list_params = [
        _param("type", "query", {"type": "string", "enum": ["top", "new"], "default": "top"},
               "`top` by views (counted from the CDN's access logs, hourly), `new` by creation time."),
        _param("page", "query", {"type": "integer", "minimum": 1, "maximum": cfg.max_page, "default": 1},
               f"Page from 1, {cfg.page_size} rows each; walks from the start, so capped at {cfg.max_page}."),
        _param("cursor", "query", {"type": "string"}, "Opaque cursor from the previous page's `Link` header; "
               "one this API did not return is a 400 `invalid_cursor`."),
        _param("search", "query", {"type": "string"},
               "Whole title words, case- and accent-insensitive; all must match; newest first. A search reads at "
               "most 5 Queries of index entries per request: a page may then hold fewer rows (even none) and still "
               "have a `Link` to go on; `page` past that budget is a 400 `search_too_broad`."),
        _param("source", "query", {"type": "string", "enum": list(SOURCES)},
               "Only conversations from this assistant, newest first (one Query of its own index); with `search`, "
               "that assistant's matches (a page may then hold fewer rows)."),
    ]
    paths: dict[str, Any] = {
        "/api/conversations": {
            "post": {
                "summary": "Share a conversation",
                "description": "Accepts the original ShareGPT payload (`items`) or the rich one (`messages`). "
                               "Rate-limited per client.",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"$ref": _REF.format(model="CreateConversation")}}}},
                "responses": {"201": _json("CreatedResponse", "Stored"),
                              "400": _error("Invalid input (`invalid_json`, `invalid_field`, `invalid_text`, "
                                            "`no_messages`, `too_many_messages`, `too_complex`, `invalid_avatar`, "
                                            "`image_not_uploaded`, `invalid_image`); `field` names the block"),
                              "401": _error("`session_ended`: sent with the cookies of a session that has "
                                            "ended (signed out, account deleted)"),
                              "409": _error("`image_removed`: an image was removed meanwhile; upload it again"),
                              "413": _error("Body, avatar or images too large (`too_many_images`, "
                                            "`image_too_large`, `images_too_large`), or images too costly to "
                                            "decode (`image_too_complex`: pixels, frames, scans, time or "
                                            "memory over the create's budget)"),
                              "415": _error("Not JSON"),
                              "429": _error("Rate-limited; see Retry-After")},
            },
            "get": {
                "summary": "List public conversations",
                "parameters": list_params,
                "responses": {"200": {"description": "Rows; a `Link: <...>; rel=\"next\"` header when more exist",
                                      "content": {"application/json": {"schema": {
                                          "type": "array", "items": {"$ref": _REF.format(model="ConversationRow")}}}}},
                              "400": _error("Bad parameter")},
            },
        },
        "/api/media": {"post": {
            "summary": "Upload an image: get a presigned S3 POST (the bytes go straight to S3), or learn it is "
                       "published already",
            "description": f"PNG, JPEG, WebP or GIF; at most {settings.MAX_IMAGE_BYTES // 2**20} MB each, "
                           f"{cfg.max_images} per conversation and {cfg.max_images_total_bytes // 2**20} MB in all; "
                           f"{cfg.media_limit_per_hour} upload requests per client per hour. The upload is private "
                           "and expires after a day unless a conversation references it (`media` of an image "
                           "block); create then checks it, strips its metadata and publishes it.",
            "requestBody": _body("MediaUpload"),
            "responses": {"200": _json("MediaUploadResponse"),
                          "400": _error("Invalid input (`size` over 10 MB, a type that is not an image...)"),
                          "415": _error("Not JSON"),
                          "429": _error("Rate-limited; see Retry-After")}}},
        "/api/conversations/count": {"get": {
            "summary": "Count public conversations (or public matches of `search`)",
            "parameters": [list_params[3]],
            "responses": {"200": {"description": "A bare number; `X-Count-Capped: true` when a search count stopped "
                                                 "at its read budget (then it is a lower bound)",
                                  "headers": {"X-Count-Capped": {"schema": {"type": "string", "enum": ["true"]}}},
                                  "content": {"application/json": {"schema": {"type": "integer"}}}},
                          "400": _error("Bad parameter")},
        }},
        "/api/keys": {"post": {
            "summary": "Which of a browser's delete keys still hold a conversation (its \"My shares\" list)",
            "description": "Up to 50 keys; one read for all. A key that is not its conversation's is in no list.",
            "requestBody": _body("KeyCheck"),
            "responses": {"200": _json("KeysHeld"), "400": _error("Invalid input (over 50 keys...)"),
                          "415": _error("Not JSON"), "429": _error("Rate-limited; see Retry-After")}}},
        "/api/conversations/{id}/dataset": {"get": {
            "summary": "Its owner's preview of what the open dataset would publish of it, scrubbed, and the "
                       "donation's state (signed in, or the delete key as `Authorization: Bearer`)",
            "parameters": [_ID], "security": [{"session": []}, {"deleteToken": []}],
            "responses": {"200": _json("DonationPreview"), "401": _error("Not signed in"),
                          "403": _error("Not the owner"), "404": _error("Unknown"),
                          "429": _error("Too many previews from this client; see Retry-After")}}},
        "/dataset": {"get": _page("The open dataset: the latest snapshot, how to load it, donate and withdraw")},
        "/dataset/latest.json": _with_head({"get": {
            "summary": "The latest snapshot's manifest: date, rows, bytes, the card and the Parquet files' paths",
            "responses": {"200": _object("`{date, rows, bytes, card, files, licenses, sources}`"),
                          "404": _error("No snapshot yet")}}}),
        "/dataset/{day}/{name}": _with_head({"get": {
            "summary": "A snapshot's dataset card (`README.md`, with the Hugging Face Hub's YAML header)",
            "parameters": [_param("day", "path", {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}, "The date."),
                           _param("name", "path", {"type": "string", "enum": ["README.md"]}, "The file.")],
            "responses": {"200": {"description": "Markdown", "content": {"text/markdown": {"schema": {
                "type": "string"}}}}, "404": _error("No such snapshot or file")}}}),
        "/dataset/{day}/data/{name}": _with_head({"get": {
            "summary": "One Parquet shard of a snapshot (`train-<n>-of-<shards>.parquet`)",
            "parameters": [_param("day", "path", {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}, "The date."),
                           _param("name", "path", {"type": "string"}, "The shard's file name.")],
            "responses": {"200": {"description": "Parquet", "content": {"application/vnd.apache.parquet": {
                "schema": {"type": "string", "format": "binary"}}}}, "404": _error("No such snapshot or file")}}}),
        "/api/conversations/{id}/key": {"get": {
            "summary": "Whether the bearer token is this conversation's delete key (pages check a key from a link "
                       "before keeping it)",
            "parameters": [_ID], "security": [{"deleteToken": []}],
            "responses": {"204": {"description": "It is"}, "401": _error("No bearer token sent"),
                          "403": _error("It is not"), "404": _error("Unknown")}}},
        "/api/conversations/{id}": {
            "get": {"summary": "Read a conversation", "parameters": [_ID],
                    "responses": {"200": _json("Conversation"), "404": _error("Unknown or deleted"),
                                  "410": _error("Removed by the moderators (the reason's category, never the content)"),
                                  "451": _error("Unavailable while the moderators review a child-safety report")}},
            "delete": {"summary": "Delete a conversation (and its saves and comments) with its delete token, "
                                  "or as its signed-in owner", "parameters": [_ID],
                       "security": [{"deleteToken": []}, {"session": []}],
                       "responses": {"204": {"description": "Deleted, with its page, objects and CDN copies; "
                                                            "also for a repeated DELETE that finished them"},
                                     "403": _error("Missing or wrong token"),
                                     "404": _error("Unknown, or deleted with nothing left to finish"),
                                     "409": _error("Changed meanwhile: retry"),
                                     "503": _error("`cleanup_pending`: deleted, but some copies (its page, objects "
                                                   "or CDN paths) are not removed yet; send the DELETE again to "
                                                   "finish (Retry-After), or they go within minutes. Or "
                                                   "`unavailable`: nothing was deleted")}},
            "patch": {"summary": "Change the title, visibility, comments on/off or the donation to the open dataset "
                                 "(owner: signed in, or the delete key as `Authorization: Bearer`)",
                      "description": "`\"dataset\": {\"license\": \"CC0-1.0\" | \"CC-BY-4.0\", \"attribution\"?}` "
                                     "donates it (or changes the license; its cooling-off day goes on), `\"dataset\": "
                                     "null` withdraws it from every later snapshot. A donation alone draws no page.",
                      "parameters": [_ID],
                      "security": [{"session": []}, {"deleteToken": []}], "requestBody": _body("UpdateConversation"),
                      "responses": {"200": _object("`{id, title, visibility, comments, dataset}`: the new settings "
                                                   "(`dataset` null when not donated; an edit that changes nothing "
                                                   "writes and publishes nothing)"),
                                    "400": _error("Invalid input"),
                                    "401": _error("Not signed in"), "403": _error("Not the owner, or CSRF"),
                                    "404": _error("Unknown"), "409": _error("Changed meanwhile: retry"),
                                    "429": _error("Too many edits from this client (EDIT_LIMIT per "
                                                  "EDIT_WINDOW_SECONDS); see Retry-After")}},
        },
        "/api/conversations/{id}/save": {
            method: {"summary": summary, "parameters": [_ID], "security": [{"session": []}],
                     "responses": {"200": _object("`{saved, saves}`: the state asked for and the exact count"),
                                   "401": _error("Not signed in"), "403": _error("CSRF"),
                                   "404": _error("Unknown")}}
            for method, summary in [("post", "Save a conversation (idempotent)"),
                                    ("delete", "Unsave a conversation (idempotent)")]},
        "/api/conversations/{id}/comments": {
            "get": {"summary": "Comments by message position, oldest first, replies under their comment",
                    "parameters": [_ID], "responses": {"200": _object("`{count, owner, positions: {n: [...]}}`"),
                                                       "404": _error("Unknown")}},
            "post": {"summary": "Comment on a message, or reply to a comment (signed in; rate-limited per user)",
                     "parameters": [_ID], "security": [{"session": []}], "requestBody": _body("CreateComment"),
                     "responses": {"201": _object("The comment"), "400": _error("Invalid input"),
                                   "401": _error("Not signed in"), "403": _error("CSRF"), "404": _error("Unknown"),
                                   "429": _error("Rate-limited")}},
        },
        "/api/conversations/{id}/comments/{comment_id}": {"delete": {
            "summary": "Delete a comment (with its replies) as its author or the conversation's owner",
            "parameters": [_ID, _param("comment_id", "path", {"type": "string"}, "Comment id.")],
            "security": [{"session": []}],
            "responses": {"200": _object("`{deleted: n}`"), "401": _error("Not signed in"),
                          "403": _error("Neither author nor owner, or CSRF"), "404": _error("Unknown"),
                          "409": _error("Changed meanwhile: retry")}}},
        "/api/me": {
            "get": {"summary": "Who is signed in", "security": [{"session": []}],
                    "responses": {"200": _object("`{id, email, name}`"), "401": _error("Not signed in")}},
            "delete": {"summary": "Delete the account: `{\"mode\": \"delete\" | \"anonymize\"}` for what they shared",
                       "security": [{"session": []}],
                       "responses": {"200": _object("What was removed"), "400": _error("No mode"),
                                     "401": _error("Not signed in"), "403": _error("CSRF")}},
        },
        "/api/me/conversations": {"get": {
            "summary": "Conversations shared while signed in, newest first", "security": [{"session": []}],
            "parameters": [_param("cursor", "query", {"type": "string"}, "From the previous page.")],
            "responses": {"200": _object("`{conversations, cursor}`"), "400": _error("`invalid_cursor`"),
                          "401": _error("Not signed in")}}},
        "/api/me/saves": {"get": {
            "summary": "Saved conversations, newest save first", "security": [{"session": []}],
            "parameters": [_param("cursor", "query", {"type": "string"}, "From the previous page.")],
            "responses": {"200": _object("`{conversations, cursor}`"), "400": _error("`invalid_cursor`"),
                          "401": _error("Not signed in")}}},
        "/api/me/status": {"get": {
            "summary": "Which of these conversations the caller saved and owns (for page buttons)",
            "security": [{"session": []}],
            "parameters": [_param("ids", "query", {"type": "string"}, "Comma-separated ids, at most 50."),
                           _param("owned", "query", {"type": "string", "enum": ["1"]},
                                  "Also say which are the caller's (a meta read per id).")],
            "responses": {"200": _object("`{saved: [...], owned: [...]}`"), "401": _error("Not signed in")}}},
        "/signin": {"get": _page("Sign-in form"), "post": _form("Sign in", "Credentials")},
        "/signup": {"get": _page("Sign-up form"), "post": _form(
            "Create an account", "SignUp", answers={
                "201": _object("Created (JSON): signed in, or `{signedIn: false, confirm: true}` where email "
                               "confirms"),
                "409": _error("`account_exists`: an account has this email")})},
        "/signup/confirm": {"post": _form("Confirm the email with its code (stages that send email)",
                                          "PasswordReset")},
        "/signout": {"post": _form("Sign out (clears the session cookies)", None)},
        "/reset": {"get": _page("Password reset form"),
                   "post": _form("Ask for a reset code (email) or set a new password (email, code, password)",
                                 "PasswordReset", answers={"202": _object("A code was sent (JSON: `{sent: true}`)")})},
        "/account": {"get": _page("Account: sign out, delete the account (signed in; else redirects to sign in)")},
        "/account/delete": {"post": _form("Delete the account (form: mode, confirm)", None, json_too=False)},
        "/saved": {"get": _page("Saved conversations (signed in; else redirects to sign in)")},
        "/api/reports": {"post": {
            "summary": "Report a conversation or one of its comments (anyone; each client counts once per target)",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _REPORT}}},
            "responses": {"202": _object("`{received: true}`, whether or not it counted"),
                          "400": _error("Invalid input (the field is named)"), "403": _error("CSRF"),
                          "404": _error("Unknown conversation or comment"),
                          "429": _error("Too many reports from this client; see Retry-After")}}},
        "/report": {"get": _page("The report form (works without JavaScript)"),
                    "post": {"summary": "The report form, posted", "requestBody": {"required": True, "content": {
                        "application/x-www-form-urlencoded": {"schema": _REPORT}}},
                        "responses": {"200": {"description": "Thank you (HTML)"},
                                      "400": {"description": "The form with its error (HTML)"},
                                      "403": _error("Another origin"),
                                      "404": {"description": "The form with its error (HTML)"},
                                      "429": {"description": "The form with its error (HTML)"}}}},
        "/abuse": {"get": _page("How to report abuse and what happens next")},
        "/api/moderation/reports": {"get": {
            "summary": "The moderators' queue: open cases, most severe first (moderators only)",
            "security": [{"session": []}], "parameters": [_param("cursor", "query", {"type": "string"},
                                                                 "The `next` of the previous page")],
            "responses": {"200": _object("`{reports: [...], next}`"), "400": _error("Bad cursor"),
                          "401": _error("Not signed in"), "403": _error("Not a moderator")}}},
        "/api/moderation/actions": {"post": {
            "summary": "Act on a target: dismiss, unlist, restore, takedown, hide_comment, suspend_owner",
            "security": [{"session": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ACTION}}},
            "responses": {"200": _object("The audit entry"), "400": _error("Invalid input (the field is named)"),
                          "401": _error("Not signed in"), "403": _error("Not a moderator, or CSRF"),
                          "404": _error("Unknown target"), "409": _error("No owner to suspend, or a race"),
                          "503": _error("`cleanup_pending`: taken down and logged, but some copies are not "
                                        "removed yet (act again to finish, or they go within minutes); or "
                                        "`unavailable`")}}},
        "/api/moderation/log": {"get": {
            "summary": "The audit log, newest first (moderators only)", "security": [{"session": []}],
            "parameters": [_param("cursor", "query", {"type": "string"}, "The `next` of the previous page")],
            "responses": {"200": _object("`{entries: [...], next}`"), "400": _error("Bad cursor"),
                          "401": _error("Not signed in"), "403": _error("Not a moderator")}}},
        "/moderation": {"get": {"summary": "The moderators' queue (HTML; signed out: a redirect to sign in)",
                                "responses": {"200": {"description": "HTML", "content": {"text/html": {}}},
                                              "303": {"description": "Not signed in: to /signin"},
                                              "403": _error("Not a moderator")}}},
        "/moderation/actions": {"post": {
            "summary": "A moderator's action, from the queue's form", "security": [{"session": []}],
            "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": _ACTION}}},
            "responses": {"303": {"description": "Back to the queue"}, "400": _error("Invalid input"),
                          "401": _error("Not signed in"), "403": _error("Not a moderator, or CSRF"),
                          "404": _error("Unknown target"), "409": _error("No owner to suspend")}}},
        "/moderation/log": {"get": {"summary": "The audit log (HTML, moderators only; signed out: a redirect)",
                                    "responses": {"200": {"description": "HTML", "content": {"text/html": {}}},
                                                  "303": {"description": "Not signed in: to /signin"},
                                                  "403": _error("Not a moderator")}}},
        "/api/openapi.json": {"get": {"summary": "This document",
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        "/identicons/{name}": {"get": {
            "summary": "Generated default avatar (identicon SVG)",
            "parameters": [_param("name", "path", {"type": "string", "pattern": "^[0-9A-Za-z]{1,64}\\.svg$"},
                                  "Seed followed by .svg")],
            "responses": {"200": {"description": "SVG", "content": {"image/svg+xml": {}}},
                          "404": _error("Bad name")},
        }},
        "/cards/{id}/{name}": _with_head({"get": {
            "summary": "A conversation's link-preview card (its og:image), drawn on its first request",
            "parameters": [_ID, _param("name", "path", {"type": "string", "pattern": "^[0-9a-f]{16}\\.png$"},
                                       "The card's file, as the conversation's page and API name it")],
            "responses": {"200": {"description": "PNG, 1200×630 (the request's Accept must allow an image)",
                                  "content": {"image/png": {}}},
                          "406": _error("The Accept header allows no image"),
                          "404": _error("Unknown or deleted conversation, or not its card"),
                          "410": _error("Removed by the moderators"), "451": _error("Under review (child safety)")},
        }}),
        "/{id}": {"get": {
            "summary": "Short link: redirects to the conversation page",
            "parameters": [_ID],
            "responses": {"301": {"description": "Redirect to {SITE_URL}/c/{id}"}, "404": _error("Malformed id")},
        }},
        "/api/conversations/{id}/export": {"get": {
            "summary": "Download a conversation as Markdown, ShareGPT JSON or OpenAI chat JSONL",
            "parameters": [_ID, _param("format", "query", {"type": "string", "enum": ["markdown", "sharegpt", "openai"],
                                                            "default": "markdown"}, "Export format.")],
            "responses": {"200": {"description": "The file, with a Content-Disposition file name"},
                          "400": _error("Unknown format"), "404": _error("Unknown or deleted"),
                          "410": _error("Removed by the moderators"), "451": _error("Under review (child safety)")},
        }},
        "/": {"get": _page("Home page: what this is, how to install, latest and top public conversations")},
        "/c/{id}": {"get": {**_page("The conversation page (404 page when unknown or deleted)"), "parameters": [_ID],
                            "responses": {"200": {"description": "HTML", "content": {"text/html": {}}},
                                          "404": {"description": "Not-found page", "content": {"text/html": {}}},
                                          "410": {"description": "Removed by the moderators (a page saying so)",
                                                  "content": {"text/html": {}}},
                                          "451": {"description": "Unavailable while under review",
                                                  "content": {"text/html": {}}}}}},
        "/explore": {"get": {**_page("Public conversations: Top / New tabs, title search, cursor paging"),
                             "responses": {"200": {"description": "HTML", "content": {"text/html": {}}},
                                           "400": {"description": "A page saying which parameter is wrong",
                                                   "content": {"text/html": {}, "application/json": {}}}},
                             "parameters": [
                                 _param("tab", "query", {"type": "string", "enum": ["top", "new"]}, "Order."),
                                 _param("q", "query", {"type": "string"}, "Title search."),
                                 _param("cursor", "query", {"type": "string"}, "Page cursor."),
                                 _param("trail", "query", {"type": "string"}, "Cursors of earlier pages.")]}},
        "/import": {"get": _page("Share from a ChatGPT or Claude data export (read in the browser)")},
        "/mine": {"get": _page("Conversations shared while signed in, and those this browser holds keys for")},
        "/sitemap.xml": {"get": {"summary": "Sitemap of public conversations",
                                 "responses": {"200": {"description": "XML", "content": {"application/xml": {}}}}}},
        "/robots.txt": {"get": {"summary": "Robots rules (deployed, CloudFront serves it from the bucket)",
                                "responses": {"200": {"description": "Text"}}}},
        "/favicon.ico": {"get": {"summary": "The site's icon, 16, 32 and 48 px (deployed, CloudFront serves it "
                                            "from the bucket)",
                                 "responses": {"200": {"description": "An ICO",
                                                       "content": {"image/x-icon": {}}}}}},
        "/static/{name}": {"get": {
            "summary": "The site's own CSS and JS (immutable, versioned by content hash)",
            "parameters": [_param("name", "path", {"type": "string"}, "File name.")],
            "responses": {"200": {"description": "The file"}, "404": _error("No such file")}}},
    }
    _common_answers(paths)
    return {
        "openapi": "3.1.0",
        "info": {"title": "ShareGPT (serverless)", "version": "1.0.0",
                 "description": "Share AI conversations: compatible with the original ShareGPT API."},
        "servers": [{"url": cfg.site_url}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "deleteToken": {"type": "http", "scheme": "bearer", "description": "The deleteToken from create"},
            "session": {"type": "apiKey", "in": "cookie", "name": "sg_session",
                        "description": "Set by /signin. Writes must come from the site's Origin (CSRF)."}}},
    }
