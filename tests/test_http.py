"""HTTP surface: short links, OpenAPI, access log, cold-start imports, and the real `chalice local`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from conftest import ENV, JPEG_DATA_URI, SITE, body_of, chat, create, new_ip

pytestmark = pytest.mark.api

ROOT = Path(__file__).resolve().parent.parent


def test_short_link_redirects_permanently_with_a_long_cache_lifetime(client):
    response = client.http.get("/AbC12xY")
    assert response.status_code == 301
    assert response.headers["Location"] == f"{SITE}/c/AbC12xY"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    for bad in ("/AbC12x", "/AbC12xYZ", "/AbC-2xY"):
        response = client.http.get(bad)
        assert response.status_code == 404 and body_of(response)["error"]["code"] == "not_found"


def test_short_link_path_imports_nothing_heavy():
    # Called as Lambda calls it (chalice's test client would itself import botocore).
    code = (
        "import sys\n"
        "from app import app\n"
        "from bench.lambda_event import Context, event\n"
        "r = app(event('GET', '/{conversation_id}', '/AbC12xY', {'conversation_id': 'AbC12xY'}), Context())\n"
        "assert r['statusCode'] == 301, r\n"
        "heavy = [m for m in ('boto3', 'botocore', 'pynamodb', 'nh3', 'pydantic', 'comrak', 'jinja2')\n"
        "         if m in sys.modules]\n"
        "print('heavy:' + ','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env=ENV, cwd=str(ROOT))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "heavy:", result.stdout


def test_openapi_describes_every_route(client):
    from app import app

    spec = body_of(client.http.get("/api/openapi.json"))
    assert spec["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    for path, methods in app.routes.items():
        openapi_path = path.replace("{conversation_id}", "{id}")
        for method in methods:
            assert (openapi_path, method) in documented, f"{method} {path} missing from OpenAPI"
    create_schema = spec["components"]["schemas"]["CreateConversation"]
    assert {"items", "messages", "visibility", "avatarUrl"} <= set(create_schema["properties"])
    assert "Conversation" in spec["components"]["schemas"]
    # Every block type of a structured turn is documented, with an example that is itself a valid block.
    from chalicelib.validation import BLOCK_TYPES, Message

    for kind in BLOCK_TYPES:
        schema = spec["components"]["schemas"][f"{kind.capitalize()}Block"]
        assert schema["examples"]
        for example in schema["examples"]:
            assert example["type"] == kind
            Message.model_validate({"role": "assistant", "content": [example]})


def test_every_request_logs_one_json_line_without_secrets(client, capsys):
    capsys.readouterr()
    created = create(client, {**chat(), "avatarUrl": JPEG_DATA_URI, "title": "very secret title"})
    client.http.delete(f"/api/conversations/{created['id']}",
                       headers={"authorization": f"Bearer {created['deleteToken']}"})
    client.http.get("/nope!!!")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("type") == "access"]
    assert [(a["method"], a["route"], a["status"]) for a in access] == [
        ("POST", "/api/conversations", 201), ("DELETE", "/api/conversations/{conversation_id}", 204),
        ("GET", "/{conversation_id}", 404)]
    for a in access:
        assert set(a) == {"type", "route", "method", "status", "ms", "requestId", "client"}
        if a["route"] == "/{conversation_id}":
            assert a["client"] is None  # the short link never loads the hash's secret salt
        else:
            assert len(a["client"]) == 24 and "." not in a["client"]  # a hash, never the address
    raw = json.dumps(access)
    assert created["deleteToken"] not in raw and "secret" not in raw and "base64" not in raw


def test_end_to_end_through_the_real_chalice_local(chalice_local):
    ip = new_ip()
    payload = {"title": "E2E", "visibility": "public", "model": "gpt-4o",
               "messages": [{"role": "user", "content": "ping"}, {"role": "assistant", "content": "**pong**"}]}
    response = requests.post(f"{chalice_local}/api/conversations", json=payload, timeout=30,
                             headers={"X-Forwarded-For": ip})
    assert response.status_code == 201, response.text
    created = response.json()
    cid = created["id"]

    conversation = requests.get(f"{chalice_local}/api/conversations/{cid}", timeout=30).json()
    assert conversation["messages"][1]["html"] == "<p><strong>pong</strong></p>"

    redirect = requests.get(f"{chalice_local}/{cid}", allow_redirects=False, timeout=30)
    assert redirect.status_code == 301 and redirect.headers["Location"] == f"{SITE}/c/{cid}"

    page = requests.get(f"{chalice_local}/c/{cid}", timeout=30, headers={"X-Forwarded-For": ip})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "public, max-age=60, s-maxage=300"

    rows = requests.get(f"{chalice_local}/api/conversations", params={"search": "e2e"}, timeout=30).json()
    assert [r["id"] for r in rows] == [cid]

    bad = requests.post(f"{chalice_local}/api/conversations", data=b"{oops", timeout=30,
                        headers={"Content-Type": "application/json", "X-Forwarded-For": ip})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_json"

    gone = requests.delete(f"{chalice_local}/api/conversations/{cid}", timeout=30,
                           headers={"Authorization": f"Bearer {created['deleteToken']}"})
    assert gone.status_code == 204
    assert requests.get(f"{chalice_local}/api/conversations/{cid}", timeout=30).status_code == 404


def test_export_formats_and_refusals(client):
    created = create(client, {"title": "Export me", "messages": [
        {"role": "system", "content": "Be terse."}, {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "**4**"}]})
    cid = created["id"]
    response = client.http.get(f"/api/conversations/{cid}/export?format=openai")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="sharegpt-{cid}.jsonl"'
    assert json.loads(response.body)["messages"] == [
        {"role": "system", "content": "Be terse."}, {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "**4**"}]
    markdown = client.http.get(f"/api/conversations/{cid}/export").body.decode()
    assert markdown.startswith("# Export me\n") and "## Assistant\n\n> **4**" in markdown
    bad = client.http.get(f"/api/conversations/{cid}/export?format=pdf")
    assert bad.status_code == 400 and body_of(bad)["error"]["field"] == "format"
    assert client.http.get("/api/conversations/Zzzzzzz/export?format=sharegpt").status_code == 404


def test_seed_html_exports_as_readable_text(client):
    created = create(client, {"items": [
        {"from": "human", "value": "Show code"},
        {"from": "gpt", "value": '<div class="markdown"><p>Sure <strong>here</strong>:</p><pre><div><div>'
                                 '<span>python</span><button>Copy code</button></div><div><code class="hljs '
                                 'language-python">print(1)</code></div></div></pre></div>'}]})
    exported = json.loads(client.http.get(f"/api/conversations/{created['id']}/export?format=sharegpt").body)
    assert exported["conversations"] == [{"from": "human", "value": "Show code"},
                                         {"from": "gpt", "value": "Sure **here**:\n\n```python\nprint(1)\n```"}]


def test_home_page_counts_and_lists_public_conversations(client):
    created = create(client, {**chat(title="Home page newest"), "visibility": "public"})
    response = client.http.get("/")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    html = response.body.decode()
    count = body_of(client.http.get("/api/conversations/count"))
    assert f'<strong id="public-count">{count}</strong>' in html
    assert f'href="/c/{created["id"]}">Home page newest</a>' in html
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_static_files_are_versioned_and_immutable(client):
    from chalicelib.pages import asset

    url = asset("app.js")
    response = client.http.get(url)
    assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"]
    assert response.headers["Content-Type"].startswith("text/javascript")
    # Another version (a page cached before a deploy asks for the old file) is not pinned at the edge.
    for other in ("/static/app.js?v=0123456789", "/static/app.js"):
        assert client.http.get(other).headers["Cache-Control"] == "public, max-age=300"
    for bad in ("/static/..%2Fapp.py", "/static/nothing.js", "/static/.hidden.css"):
        assert client.http.get(bad).status_code == 404


def test_browsers_get_readable_error_pages_and_api_clients_json(client, monkeypatch):
    from chalicelib import listings

    page = client.http.get("/Bad-Id!", headers={"accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    assert b"<h1>Not found</h1>" in page.body and "Content-Security-Policy" in page.headers
    api = client.http.get("/api/conversations/Bad", headers={"accept": "text/html"})
    assert api.status_code == 404 and body_of(api)["error"]["code"] == "not_found"

    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")
    monkeypatch.setattr(listings, "list_public", broken)
    failed = client.http.get("/explore", headers={"accept": "text/html"})
    assert failed.status_code == 500 and b"<h1>Something went wrong</h1>" in failed.body
    assert b"secret" not in failed.body and b"Traceback" not in failed.body
