"""The OpenAPI 3.1 description of the API, with schemas generated from the pydantic models."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from . import settings

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


_ID = _param("id", "path", {"type": "string", "pattern": "^[0-9A-Za-z]{7}$"}, "Conversation id.")


@lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    """The whole document (built once per process)."""
    from pydantic.json_schema import models_json_schema

    from . import validation as v

    models = [v.CreateConversation, v.CreatedResponse, v.ConversationRow, v.Conversation, v.ErrorResponse]
    _, defs = models_json_schema([(m, "validation") for m in models], ref_template=_REF)
    schemas = defs.get("$defs", {})
    cfg = settings.get()
    list_params = [
        _param("type", "query", {"type": "string", "enum": ["top", "new"], "default": "top"},
               "`top` by views (rolled up periodically), `new` by creation time."),
        _param("page", "query", {"type": "integer", "minimum": 1, "maximum": cfg.max_page, "default": 1},
               f"Page from 1, {cfg.page_size} rows each; walks from the start, so capped at {cfg.max_page}."),
        _param("cursor", "query", {"type": "string"}, "Opaque cursor from the previous page's `Link` header."),
        _param("search", "query", {"type": "string"},
               "Whole title words, case- and accent-insensitive; all must match; newest first."),
    ]
    paths: dict[str, Any] = {
        "/api/conversations": {
            "post": {
                "summary": "Share a conversation",
                "description": "Accepts the original ShareGPT payload (`items`) or the rich one (`messages`). "
                               "Rate-limited per client.",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"$ref": _REF.format(model="CreateConversation")}}}},
                "responses": {"201": _json("CreatedResponse", "Stored"), "400": _error("Invalid input"),
                              "413": _error("Body or avatar too large"), "415": _error("Not JSON"),
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
        "/api/conversations/count": {"get": {
            "summary": "Count public conversations (or public matches of `search`)",
            "parameters": [list_params[3]],
            "responses": {"200": {"description": "A bare number",
                                  "content": {"application/json": {"schema": {"type": "integer"}}}}},
        }},
        "/api/conversations/{id}": {
            "get": {"summary": "Read a conversation", "parameters": [_ID],
                    "responses": {"200": _json("Conversation"), "404": _error("Unknown or deleted")}},
            "delete": {"summary": "Delete a conversation with its delete token", "parameters": [_ID],
                       "security": [{"deleteToken": []}],
                       "responses": {"204": {"description": "Deleted"}, "403": _error("Missing or wrong token"),
                                     "404": _error("Unknown")}},
        },
        "/api/conversations/{id}/view": {"post": {
            "summary": "Count a view (once per client per hour; totals update at the next roll-up)",
            "parameters": [_ID],
            "responses": {"202": {"description": "Accepted", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"counted": {"type": "boolean"}}}}}},
                "404": _error("Malformed id")},
        }},
        "/api/openapi.json": {"get": {"summary": "This document",
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        "/identicons/{name}": {"get": {
            "summary": "Generated default avatar (identicon SVG)",
            "parameters": [_param("name", "path", {"type": "string", "pattern": "^[0-9A-Za-z]{1,64}\\.svg$"},
                                  "Seed followed by .svg")],
            "responses": {"200": {"description": "SVG", "content": {"image/svg+xml": {}}},
                          "404": _error("Bad name")},
        }},
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
                          "400": _error("Unknown format"), "404": _error("Unknown or deleted")},
        }},
        "/": {"get": _page("Home page: what this is, how to install, latest and top public conversations")},
        "/c/{id}": {"get": {**_page("The conversation page (404 page when unknown or deleted)"), "parameters": [_ID]}},
        "/explore": {"get": {**_page("Public conversations: Top / New tabs, title search, cursor paging"),
                             "parameters": [
                                 _param("tab", "query", {"type": "string", "enum": ["top", "new"]}, "Order."),
                                 _param("q", "query", {"type": "string"}, "Title search."),
                                 _param("cursor", "query", {"type": "string"}, "Page cursor."),
                                 _param("trail", "query", {"type": "string"}, "Cursors of earlier pages.")]}},
        "/mine": {"get": _page("Conversations shared from this browser (kept in its localStorage)")},
        "/sitemap.xml": {"get": {"summary": "Sitemap of public conversations",
                                 "responses": {"200": {"description": "XML", "content": {"application/xml": {}}}}}},
        "/robots.txt": {"get": {"summary": "Robots rules", "responses": {"200": {"description": "Text"}}}},
        "/static/{name}": {"get": {
            "summary": "The site's own CSS, JS and icon (immutable, versioned by content hash)",
            "parameters": [_param("name", "path", {"type": "string"}, "File name.")],
            "responses": {"200": {"description": "The file"}, "404": _error("No such file")}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "ShareGPT (serverless)", "version": "1.0.0",
                 "description": "Share AI conversations: compatible with the original ShareGPT API."},
        "servers": [{"url": cfg.site_url}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "deleteToken": {"type": "http", "scheme": "bearer", "description": "The deleteToken from create"}}},
    }
