"""The short link at the edge: infra/stack.yaml's CloudFront Function (cloudfront-js-2.0), run in Node against
its cases as CloudFront calls it (a viewer-request event in, a request or a response out), held to the app's
own short-link route (what `make run` and a deployment without the function answer) and to the app's routes."""
from __future__ import annotations

import json
import re
import subprocess

import pytest
from test_infra import _distribution, _template

pytestmark = pytest.mark.unit

HARNESS = r"""
const vm = require("vm");
const [code, events] = [process.argv[1], JSON.parse(process.argv[2])];
const context = vm.createContext({});
vm.runInContext(code, context);
process.stdout.write(JSON.stringify(events.map((e) => context.handler(e))));
"""


def _code(site_domain: str) -> str:
    function = _template()["Resources"]["ShortLinkFunction"]["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    name, code = function["FunctionCode"]
    assert name == "Sub" and "${" not in code.replace("${SiteDomain}", "")  # Sub substitutes nothing else
    return code.replace("${SiteDomain}", site_domain)


def _run(site_domain: str, uris: list[str], host: str = "s.example") -> list[dict]:
    events = [{"version": "1.0", "context": {"eventType": "viewer-request"},
               "viewer": {"ip": "198.51.100.7"},
               "request": {"method": "GET", "uri": uri, "querystring": {}, "headers": {"host": {"value": host}},
                           "cookies": {}}} for uri in uris]
    result = subprocess.run(["node", "-e", HARNESS, _code(site_domain), json.dumps(events)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_short_link_is_a_301_to_the_sites_page_and_anything_else_goes_on():
    ids = ["AbC12xY", "0000000", "zzzzzzz"]
    others = ["/", "/explore", "/account", "/signout", "/AbC12x", "/AbC12xYZ", "/AbC-2xY", "/c/AbC12xY",
              "/static/app.css", "/favicon.ico", "/api/conversations", "/AbC12xY/", "//AbC12xY"]
    answers = _run("share.example", [f"/{i}" for i in ids] + others)
    for cid, answer in zip(ids, answers[:len(ids)], strict=True):
        assert answer["statusCode"] == 301
        assert answer["headers"]["location"]["value"] == f"https://share.example/c/{cid}"
        assert answer["headers"]["cache-control"]["value"] == "public, max-age=31536000"
    for uri, answer in zip(others, answers[len(ids):], strict=True):
        assert "statusCode" not in answer and answer["uri"] == uri, uri  # the request, unchanged


def test_without_a_site_domain_the_link_stays_on_the_host_it_came_to():
    (answer,) = _run("", ["/AbC12xY"], host="d111111abcdef8.cloudfront.net")
    assert answer["headers"]["location"]["value"] == "https://d111111abcdef8.cloudfront.net/c/AbC12xY"


def test_it_leaves_the_apps_seven_letter_routes_to_the_app_and_answers_as_the_app_does(monkeypatch):
    from app import app
    from chalicelib import settings

    seven = {path.strip("/") for path in app.routes if re.fullmatch(r"/[0-9A-Za-z]{7}", path)}
    reserved = set(re.search(r"RESERVED = \{(.*?)\}", _code("x")).group(1).replace(": true", "").replace(" ", "")
                   .split(","))
    assert seven == reserved  # a new route of seven letters must be added to the function
    # The same answer as the app's route (what `make run` serves): its Location and its lifetime.
    monkeypatch.setenv("SITE_URL", "https://share.example")
    settings.get.cache_clear()
    try:
        from chalice.test import Client

        with Client(app) as client:
            answer = client.http.get("/AbC12xY")
    finally:
        settings.get.cache_clear()
    (edge,) = _run("share.example", ["/AbC12xY"])
    assert answer.status_code == edge["statusCode"] == 301
    assert answer.headers["Location"] == edge["headers"]["location"]["value"]
    assert "max-age=31536000" in answer.headers["Cache-Control"]


def test_the_template_attaches_it_to_the_default_behaviour_at_viewer_request():
    (association,) = _distribution()["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    assert association["FunctionARN"] == ("GetAtt", "ShortLinkFunction.FunctionARN")
