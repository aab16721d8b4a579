"""The share and cards functions' door: a Lambda function URL's request as API Gateway's REST proxy event, and
back.

CloudFront sends `/api/conversations` (a create, and the list on the same path) to the `share` function's URL,
and `/cards/*` (link-preview cards, drawn on the edge's misses) to the `cards` function's, instead of API
Gateway: the same Chalice app answers them, every route check and the middleware included (the origin secret,
the error envelope, the access log), without API Gateway's $3.50 per million requests. A function URL sends
its payload format 2.0; Chalice reads the REST API's 1.0, so the event is translated here, and the answer
back (multi-value headers joined, `Set-Cookie` as the URL's `cookies`). Each function serves only its own
paths (SHARE, CARDS): CloudFront sends it no other, and anything else is a 404.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from .errors import not_found
from .http import error_response

Routes = tuple[tuple[re.Pattern[str], str], ...]
# The paths each function serves: (the path's pattern, the app's route, as API Gateway names its resource).
SHARE: Routes = ((re.compile(r"/api/conversations"), "/api/conversations"),)
CARDS: Routes = ((re.compile(r"/cards/(?P<conversation_id>[^/]+)/(?P<name>[^/]+)"), "/cards/{conversation_id}/{name}"),)


def rest_event(event: dict[str, Any], routes: Routes = SHARE) -> dict[str, Any] | None:
    """The REST API's proxy event for a function URL's `event`, or None for a path not among `routes`."""
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    path = event.get("rawPath") or http.get("path") or ""
    route = next(((match, resource) for pattern, resource in routes if (match := pattern.fullmatch(path))), None)
    if route is None:
        return None
    match, resource = route
    # Header names are lower case in 2.0, repeated headers joined with commas; the cookies come apart.
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    if event.get("cookies"):
        headers["cookie"] = "; ".join(event["cookies"])
    query = parse_qs(event.get("rawQueryString") or "", keep_blank_values=True)
    method = str(http.get("method") or "GET").upper()
    return {
        "resource": resource, "path": path, "httpMethod": method,
        "headers": headers, "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": match.groupdict() or None, "stageVariables": None,
        "requestContext": {"resourcePath": resource, "httpMethod": method, "path": path, "stage": "$default",
                           "requestId": context.get("requestId"),
                           # CloudFront's address: the client's is in X-Forwarded-For, as through API Gateway.
                           "identity": {"sourceIp": http.get("sourceIp")}},
        "body": event.get("body"), "isBase64Encoded": bool(event.get("isBase64Encoded")),
    }


def url_response(response: dict[str, Any]) -> dict[str, Any]:
    """The function URL's answer for the REST proxy answer the app gave: a function URL reads no
    `multiValueHeaders`, so repeated headers are joined and cookies go in its `cookies` list."""
    headers = {name: str(value) for name, value in (response.get("headers") or {}).items()
               if name.lower() != "set-cookie"}
    cookies = [str(value) for name, value in (response.get("headers") or {}).items() if name.lower() == "set-cookie"]
    for name, values in (response.get("multiValueHeaders") or {}).items():
        if name.lower() == "set-cookie":
            cookies += [str(value) for value in values]
        else:
            headers[name] = ", ".join(str(value) for value in values)
    answer: dict[str, Any] = {"statusCode": response.get("statusCode", 200), "headers": headers,
                              "body": response.get("body") or "",
                              "isBase64Encoded": bool(response.get("isBase64Encoded"))}
    if cookies:
        answer["cookies"] = cookies
    return answer


def handle(app: Callable[[dict[str, Any], Any], dict[str, Any]], event: dict[str, Any], context: Any,
           routes: Routes = SHARE) -> dict[str, Any]:
    """Answer a function URL's request for one of `routes` with `app` (the Chalice app, called as API Gateway
    calls it)."""
    rest = rest_event(event, routes)
    if rest is None:
        return url_response(error_response(not_found("route")).to_dict())
    return url_response(app(rest, context))
