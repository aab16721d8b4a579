"""The share function's URL (issue 34: a create without API Gateway): CloudFront sends `/api/conversations` to the
`share` Lambda's function URL, whose events are payload format 2.0 (as AWS documents them, and as
aws-lambda-go's testdata/lambda-urls-request.json holds one). The same app answers: created, listed, owned by
the session's person, refused without the origin secret, keyed on the client CloudFront forwarded."""
from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from conftest import SITE, body_of, chat, new_ip
from test_accounts import sign_up

pytestmark = pytest.mark.api

CLOUDFRONT_EDGE = "130.176.98.7"  # the function URL's sourceIp: CloudFront's address, not the reader's


def url_event(method: str, path: str, *, body: Any = None, query: str = "", headers: dict[str, str] | None = None,
              cookies: list[str] | None = None, base64_body: bool = False) -> dict[str, Any]:
    """A function URL's request event, shaped as AWS documents payload format 2.0."""
    raw = json.dumps(body) if body is not None else None
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": {"content-type": "application/json", "host": "abcdefg.lambda-url.us-east-1.on.aws",
                    "x-forwarded-proto": "https", "via": "2.0 d111.cloudfront.net (CloudFront)",
                    **(headers or {})},
        "requestContext": {"accountId": "anonymous", "apiId": "abcdefg", "domainName": "abcdefg.lambda-url."
                           "us-east-1.on.aws", "domainPrefix": "abcdefg", "requestId": "c4f1-request",
                           "routeKey": "$default", "stage": "$default", "time": "07/Dec/2026:15:03:58 +0000",
                           "timeEpoch": 1796655838390,
                           "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                    "sourceIp": CLOUDFRONT_EDGE, "userAgent": "Amazon CloudFront"}},
        "isBase64Encoded": base64_body,
    }
    if raw is not None:
        event["body"] = base64.b64encode(raw.encode()).decode() if base64_body else raw
    if cookies:
        event["cookies"] = cookies
    return event


def call(event: dict[str, Any]) -> dict[str, Any]:
    from app import share

    return share(event, None)


def call_cards(event: dict[str, Any]) -> dict[str, Any]:
    from app import preview_cards

    return preview_cards(event, None)


@pytest.mark.parametrize("base64_body", [False, True])
def test_a_create_through_the_function_url_is_stored_and_read_back(client, base64_body):
    answer = call(url_event("POST", "/api/conversations", body=chat(4, title="Through the function URL"),
                            headers={"x-forwarded-for": new_ip()}, base64_body=base64_body))
    assert answer["statusCode"] == 201, answer
    assert "multiValueHeaders" not in answer and answer["headers"]["X-Request-Id"]
    created = json.loads(answer["body"])
    read = client.http.get(f"/api/conversations/{created['id']}")
    assert read.status_code == 200 and body_of(read)["title"] == "Through the function URL"


def test_the_list_on_the_same_path_answers_with_its_query(client):
    created = call(url_event("POST", "/api/conversations", body=chat(2, title="Listed via URL", visibility="public"),
                             headers={"x-forwarded-for": new_ip()}))
    assert created["statusCode"] == 201
    cid = json.loads(created["body"])["id"]
    listed = call(url_event("GET", "/api/conversations", query="type=new&search=listed+via+url",
                            headers={"accept": "application/json"}))
    assert listed["statusCode"] == 200
    assert cid in [row["id"] for row in json.loads(listed["body"])]
    bad = call(url_event("GET", "/api/conversations", query="type=sideways"))
    assert bad["statusCode"] == 400 and json.loads(bad["body"])["error"]["field"] == "type"


def test_a_signed_in_share_is_the_sessions_persons(client):
    """Function URLs take the Cookie header apart into `cookies`: put back, the session is the sharer's."""
    person = sign_up(client, "Url Sharer")
    cookies = [f"{name}={value}" for name, value in person.cookies.items() if value]
    answer = call(url_event("POST", "/api/conversations", body=chat(2, title="Mine via URL"), cookies=cookies,
                            headers={"origin": SITE, "x-forwarded-for": new_ip()}))
    assert answer["statusCode"] == 201, answer
    cid = json.loads(answer["body"])["id"]
    mine = body_of(person.call("GET", "/api/me/conversations"))["conversations"]
    assert cid in [row["id"] for row in mine]


def test_the_client_is_the_address_cloudfront_forwarded_not_its_own():
    """Rate limits key on the reader CloudFront forwarded (X-Forwarded-For), one hop from CloudFront's own
    address (the URL's sourceIp), whatever the reader wrote to the left of it."""
    from chalice.app import Request

    from chalicelib import callers, function_url, settings

    reader = "203.0.113.77"
    event = url_event("POST", "/api/conversations", headers={"x-forwarded-for": f"6.6.6.6, {reader}"})
    request = Request(function_url.rest_event(event))
    assert settings.get().trusted_proxy_hops == 1  # the tests' stage, as deployed behind CloudFront
    assert callers.address(request) == reader
    same = Request(function_url.rest_event(url_event("POST", "/api/conversations",
                                                     headers={"x-forwarded-for": reader})))
    assert callers.client(request) == callers.client(same)


def test_without_the_origin_secret_it_is_refused_and_nothing_is_stored(client, monkeypatch):
    """The URL is public (CloudFront cannot sign a POST's body for it): like API Gateway's own URL, every
    request without the CDN's secret header is refused before anything runs."""
    from conftest import nothing_stored

    from chalicelib import settings

    monkeypatch.setenv("ORIGIN_VERIFY_SECRET", "the-cdn-says-so")
    settings.get.cache_clear()
    try:
        with nothing_stored():
            refused = call(url_event("POST", "/api/conversations", body=chat(2), headers={"x-forwarded-for": new_ip()}))
        assert refused["statusCode"] == 403 and json.loads(refused["body"])["error"]["code"] == "direct_access"
        allowed = call(url_event("POST", "/api/conversations", body=chat(2), headers={
            "x-forwarded-for": new_ip(), "x-origin-verify": "the-cdn-says-so"}))
        assert allowed["statusCode"] == 201
    finally:
        monkeypatch.delenv("ORIGIN_VERIFY_SECRET")
        settings.get.cache_clear()


def test_a_card_through_it_is_a_png_drawn_for_the_edge(client):
    """CloudFront sends /cards/* to the cards function's URL (an edge miss draws the card): the route's
    parameters come from the path, and the PNG goes back base64-encoded, as a function URL's binary answer
    must. Each function serves its own paths only: the creates' never draws a card, the cards' never shares."""
    created = call(url_event("POST", "/api/conversations", body=chat(2, title="A card via URL"),
                             headers={"x-forwarded-for": new_ip()}))
    cid = json.loads(created["body"])["id"]
    path = "/" + body_of(client.http.get(f"/api/conversations/{cid}"))["card"].split("/", 3)[3]
    answer = call_cards(url_event("GET", path, headers={"accept": "*/*"}))
    assert answer["statusCode"] == 200 and answer["isBase64Encoded"] is True
    assert answer["headers"]["Content-Type"] == "image/png"
    assert base64.b64decode(answer["body"]).startswith(b"\x89PNG\r\n\x1a\n")
    wrong = call_cards(url_event("GET", f"/cards/{cid}/0123456789abcdef.png", headers={"accept": "*/*"}))
    assert wrong["statusCode"] == 404 and json.loads(wrong["body"])["error"]["message"] == "No such card."
    not_served = call(url_event("GET", path, headers={"accept": "*/*"}))
    assert json.loads(not_served["body"])["error"]["message"] == "No such route."
    from conftest import nothing_stored

    with nothing_stored():
        refused = call_cards(url_event("POST", "/api/conversations", body=chat(2),
                                       headers={"x-forwarded-for": new_ip()}))
    assert refused["statusCode"] == 404 and json.loads(refused["body"])["error"]["message"] == "No such route."


def test_other_paths_are_not_served_through_it(client):
    from conftest import nothing_stored

    with nothing_stored():
        for path in ("/api/conversations/abc1234", "/api/me", "/c/abc1234", "/", "/cards/abc1234", "/cards/a/b/c"):
            answer = call(url_event("DELETE" if path.startswith("/api/c") else "GET", path))
            assert answer["statusCode"] == 404 and json.loads(answer["body"])["error"]["code"] == "not_found", path


def test_the_answer_is_in_the_function_urls_shape():
    from chalicelib import function_url

    answer = function_url.url_response({
        "statusCode": 200, "headers": {"Content-Type": "text/html", "Set-Cookie": "a=1; Secure"},
        "multiValueHeaders": {"Set-Cookie": ["b=2; HttpOnly", "c=3"], "Vary": ["Accept", "Cookie"]},
        "body": "<p>hi</p>"})
    assert answer == {"statusCode": 200, "headers": {"Content-Type": "text/html", "Vary": "Accept, Cookie"},
                      "body": "<p>hi</p>", "isBase64Encoded": False, "cookies": ["a=1; Secure", "b=2; HttpOnly", "c=3"]}
