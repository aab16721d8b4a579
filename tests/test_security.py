"""Untrusted input: XSS payloads in every field, the sanitizer's allow-list, errors without traces."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from conftest import JPEG_DATA_URI, SITE, body_of, create, scan_all

pytestmark = pytest.mark.api

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><script>alert(2)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(3)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt&colon;alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "<object data=x></object><embed src=x>",
    '<form action=https://evil.example><input name=p><button>go</button></form>',
    '<div style="background:url(javascript:alert(1))" onmouseover="alert(1)">hover</div>',
    "<style>body{display:none}</style>",
    '<p title="x" onclick="alert(1)">click</p>',
    "<details open ontoggle=alert(1)>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "[click](javascript:alert(1))",
    "![img](https://evil.example/track.png)",
    "<scr<script>ipt>alert(1)</script>",
    '"><script>alert(1)</script>',
]
SAFE_TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "strong",
             "b", "em", "i", "u", "s", "del", "ins", "sub", "sup", "mark", "small", "kbd", "blockquote", "pre",
             "code", "span", "div", "a", "details", "summary", "table", "caption", "thead", "tbody", "tfoot", "tr",
             "th", "td"}
SAFE_ATTRS = {"href", "title", "rel", "align", "colspan", "rowspan", "start", "class"}


class _Inspector(HTMLParser):
    """Parses HTML as a browser's tokenizer would and records anything that could run or load."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in SAFE_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name not in SAFE_ATTRS:
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "href":
                scheme = re.match(r"^\s*([a-z][a-z0-9+.-]*):", (value or "").lower())
                if scheme and scheme.group(1) not in ("http", "https", "mailto"):
                    self.problems.append(f"href {value}")

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self.problems.append("comment")


def danger(html: str) -> list[str]:
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems


def _html_fields(conversation: dict) -> list[str]:
    return [m["html"] for m in conversation["messages"]] + [
        i["value"] for i in conversation["items"] if i["from"] != "human"]


@pytest.mark.parametrize("payload", XSS)
def test_xss_payloads_in_every_field_leave_no_executable_markup(client, aws, payload):
    rich = create(client, {"title": payload, "model": payload, "source": payload, "visibility": "public",
                           "messages": [{"role": "user", "content": payload},
                                        {"role": "assistant", "content": payload},
                                        {"role": "system", "content": payload},
                                        {"role": "tool", "content": payload}]})
    seed = create(client, {"title": payload, "model": payload, "avatarUrl": JPEG_DATA_URI,
                           "items": [{"from": "human", "value": payload}, {"from": "gpt", "value": payload}]})
    for created in (rich, seed):
        response = client.http.get(f"/api/conversations/{created['id']}")
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        conversation = body_of(response)
        for html in _html_fields(conversation):
            assert danger(html) == [], html
        # Human turns are escaped text: the payload's angle brackets can never become tags.
        human = next(m for m in conversation["messages"] if m["role"] == "user")
        assert "<" not in human["html"]
        # Plain-text fields come back as text (shown escaped wherever they are rendered).
        assert "\x00" not in conversation["title"] and len(conversation["title"]) <= 180
    # What is stored is what is returned: nothing sanitized on read, nothing dangerous at rest.
    import zlib
    for item in scan_all(aws, "conversations"):
        if item["id"]["S"] in (rich["id"], seed["id"]) and item["part"]["S"] == "body":
            stored = json.loads(zlib.decompress(item["data"]["B"]))
            for message in stored["messages"]:
                if message["role"] != "user":
                    assert danger(message["html"]) == [], message["html"]


def test_listing_rows_carry_plain_text_only(client):
    created = create(client, {"title": "<img src=x onerror=alert(1)> hello", "visibility": "public",
                              "messages": [{"role": "user", "content": "x"}]})
    rows = body_of(client.http.get("/api/conversations?search=hello"))
    row = next(r for r in rows if r["id"] == created["id"])
    assert row["title"] == "<img src=x onerror=alert(1)> hello"  # text, never parsed as HTML
    assert row["avatar"].startswith(f"{SITE}/identicons/")


def test_sanitizer_keeps_what_chat_answers_use():
    from chalicelib.sanitize import clean_html

    html = ('<h2>T</h2><p><strong>b</strong> <em>i</em> <code>c</code> <del>d</del></p><blockquote><p>q</p>'
            '</blockquote><ul><li>a<ol start="3"><li>n</li></ol></li></ul><table><thead><tr><th align="left">h'
            '</th></tr></thead><tbody><tr><td colspan="2">c</td></tr></tbody></table><hr>'
            '<pre><code class="language-js hljs">x</code></pre><a href="mailto:a@b.c">m</a>'
            '<a href="https://x.y/p?q=1" target="_blank" rel="opener">l</a>')
    out = clean_html(html)
    for kept in ("<h2>T</h2>", "<strong>b</strong>", "<em>i</em>", "<code>c</code>", "<del>d</del>",
                 "<blockquote><p>q</p></blockquote>", '<ol start="3">', '<th align="left">', '<td colspan="2">',
                 "<hr>", '<code class="language-js hljs">', '<a href="mailto:a@b.c" rel="nofollow noopener">m</a>'):
        assert kept in out, kept
    assert '<a href="https://x.y/p?q=1" rel="nofollow noopener">l</a>' in out
    assert "target" not in out


def test_sanitizer_drops_dangerous_elements_with_their_content():
    from chalicelib.sanitize import clean_html

    out = clean_html("<p>a</p><script>steal()</script><style>p{}</style><button>Copy code</button><p>b</p>")
    assert out == "<p>a</p><p>b</p>"
    assert clean_html('<span class="text-red-500 hljs-string bad">s</span>') == '<span class="hljs-string">s</span>'


def test_an_unexpected_failure_is_a_json_500_without_a_trace(client, monkeypatch):
    from chalicelib import conversations

    def broken(_id):
        raise RuntimeError("secret internal detail")
    monkeypatch.setattr(conversations, "get", broken)
    response = client.http.get("/api/conversations/AAAAAAA")
    assert response.status_code == 500
    assert body_of(response) == {"error": {"code": "internal", "message": "An internal error occurred."}}
    assert b"secret" not in response.body and b"Traceback" not in response.body


def test_client_ip_ignores_forged_forwarded_entries():
    from chalicelib.clientip import client_ip

    assert client_ip("203.0.113.9", "1.1.1.1", 0) == "203.0.113.9"
    # Behind one proxy: the entry the proxy appended, not the ones the client wrote before it.
    assert client_ip("10.0.0.1", "6.6.6.6, 198.51.100.7", 1) == "198.51.100.7"
    assert client_ip("198.51.100.7", "6.6.6.6, 198.51.100.7", 1) == "6.6.6.6"
    assert client_ip("10.0.0.1", None, 1) == "10.0.0.1"


def test_the_inspector_itself_sees_dangerous_markup():
    # Guards the XSS test above against passing vacuously.
    assert danger('<img src=x onerror=alert(1)>')
    assert danger('<a href="javascript:alert(1)">x</a>')
    assert danger('<p onclick="x">a</p>')
    assert danger("&lt;script&gt;") == [] and danger('<a href="https://x.y">x</a>') == []
