"""/api/openapi.json tells the truth: real answers validate against their documented schemas, and a bounded
Schemathesis run (fixed seed and example count) over the whole document finds nothing."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import apispec
import pytest
from conftest import ENV, body_of, chat, create, new_ip

from scripts import devstack

ROOT = Path(__file__).resolve().parent.parent


def _operation(spec: dict, method: str, path: str) -> tuple[str, dict]:
    found = apispec.operation(spec, method, path)
    assert found is not None, f"{method} {path} is not documented"
    return found


@pytest.mark.api
def test_real_answers_match_their_documented_status_and_schema(client):
    from jsonschema import Draft202012Validator

    spec = body_of(client.http.get("/api/openapi.json"))
    created = create(client, chat(2, visibility="public", title="Schema check"))
    cid, token = created["id"], created["deleteToken"]
    card = "/" + body_of(client.http.get(f"/api/conversations/{cid}"))["card"].split("/", 3)[3]
    json_headers = {"content-type": "application/json"}
    calls = [
        ("POST", "/api/conversations", json.dumps(chat(2)), json_headers),
        ("POST", "/api/conversations", "{}", json_headers),
        ("POST", "/api/conversations", '{"messages": [{"role": "user", "content": "\\ud800"}]}', json_headers),
        ("POST", "/api/conversations", json.dumps({"items": [{"from": "gpt", "value": "<div>" * 200}]}), json_headers),
        ("POST", "/api/conversations", "not json", json_headers),
        ("GET", f"/api/conversations/{cid}", None, {}),
        ("GET", "/api/conversations/Zz9Zz9Z", None, {}),
        ("GET", "/api/conversations?type=new", None, {}),
        ("GET", "/api/conversations?page=0", None, {}),
        ("GET", "/api/conversations?cursor=nonsense", None, {}),
        ("GET", "/api/conversations/count", None, {}),
        ("GET", "/api/conversations/count?search=schema", None, {}),
        ("GET", f"/api/conversations/{cid}/export?format=sharegpt", None, {}),
        ("GET", f"/api/conversations/{cid}/export?format=nope", None, {}),
        ("GET", f"/api/conversations/{cid}/key", None, {"authorization": "Bearer wrong"}),
        ("GET", f"/api/conversations/{cid}/comments", None, {}),
        ("GET", "/api/me", None, {}),
        ("PATCH", f"/api/conversations/{cid}", '{"title": "x"}', json_headers),
        ("PATCH", f"/api/conversations/{cid}", "title=x", {"content-type": "text/plain"}),
        ("POST", "/api/media", '{"sha256": "' + "ab" * 32 + '", "size": 1e3, "contentType": "image/png"}',
         json_headers),
        ("POST", "/signup", json.dumps({"email": f"schema-{new_ip()}@example.test", "password": "correct horse 42",
                                        "name": "Schema"}), json_headers),
        ("GET", f"/{cid}", None, {}),
        ("GET", "/identicons/abc.svg", None, {}),
        ("GET", card, None, {"accept": "text/html"}),
        ("GET", card, None, {"accept": "*/*"}),
        ("GET", f"/cards/{cid}/0000000000000000.png", None, {"accept": "*/*"}),
        ("DELETE", f"/api/conversations/{cid}", None, {"authorization": "Bearer wrong"}),
        ("DELETE", f"/api/conversations/{cid}", None, {"authorization": f"Bearer {token}"}),
    ]
    for method, path, body, headers in calls:
        response = getattr(client.http, method.lower())(path, headers={**headers, "x-forwarded-for": new_ip()},
                                                        body=body)
        template, operation = _operation(spec, method, path.split("?")[0])
        documented = operation["responses"].get(str(response.status_code))
        assert documented is not None, f"{method} {path} answered {response.status_code}, not documented"
        schema = documented.get("content", {}).get("application/json", {}).get("schema")
        if schema and response.body:
            Draft202012Validator({**schema, "components": spec["components"]}).validate(json.loads(response.body))


@pytest.fixture(scope="module")
def roomy_chalice(moto_server):
    """`chalice local` on the suite's moto with the per-client limits raised, for the fuzzer's many requests."""
    port = devstack.free_port()
    site = f"http://127.0.0.1:{port}"
    limits = {name: "1000000" for name in ("CREATE_LIMIT", "COMMENT_LIMIT", "SIGNIN_LIMIT", "SIGNUP_LIMIT_PER_HOUR",
                                           "RESET_LIMIT_PER_HOUR", "VIEW_LIMIT",
                                           "MEDIA_LIMIT_PER_HOUR")}
    # Its own salt: its callers (127.0.0.1, like the browser tests') get rate-limit windows of their own.
    process = devstack.start_chalice(port, {**ENV, "SITE_URL": site, "IP_HASH_SALT": "schemathesis-run", **limits})
    try:
        yield site
    finally:
        devstack.stop(process)


@pytest.mark.fuzz
def test_schemathesis_finds_nothing(roomy_chalice):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "st"), "--config-file", str(ROOT / "tests" / "schemathesis.toml"), "run",
         f"{roomy_chalice}/api/openapi.json", "--seed", "1", "--max-examples", "25", "--checks", "all",
         "--workers", "1", "--no-color", "--max-failures", "20"],
        capture_output=True, text=True, timeout=300, cwd=ROOT)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-6000:]
    assert re.search(r"\b\d+ generated\b", report), report[-2000:]
